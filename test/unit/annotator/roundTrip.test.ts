/**
 * Saving in the annotator writes back every field of the box file it does not edit: COCO
 * `segmentation`, `keypoints`, `attributes`, `licenses`, image and category metadata, and the
 * members of a 3D Slicer `.mrk.json` (display settings, descriptions, measurements, other tools').
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnnotatorModel } from '../../../extension/src/editors/annotator/model';
import { RoiModel } from '../../../extension/src/editors/annotator/roiModel';
import type { SlicerRoi } from '../../../server/src/formats/slicerRoi';

const COCO = {
  info: { description: 'from another tool', year: 2024, contributor: 'lab' },
  licenses: [{ id: 1, name: 'CC-BY 4.0', url: 'https://creativecommons.org/licenses/by/4.0/' }],
  images: [
    { id: 1, file_name: 'images/a.png', width: 64, height: 48, license: 1, date_captured: '2024-01-02 10:00:00', coco_url: 'http://example/a.png', attributes: { site: 'back' } },
    { id: 2, file_name: 'images/b.png', width: 32, height: 32, flickr_url: 'http://example/b' },
  ],
  annotations: [
    {
      id: 1,
      image_id: 1,
      category_id: 1,
      bbox: [4, 4, 10, 10],
      area: 100,
      iscrowd: 0,
      source: 'manual',
      segmentation: [[4, 4, 14, 4, 14, 14, 4, 14]],
      attributes: { occluded: false, grader: 'A' },
    },
    { id: 2, image_id: 2, category_id: 2, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0, source: 'saliency', score: 0.8, keypoints: [2, 3, 2], num_keypoints: 1 },
    { id: 3, image_id: 2, category_id: 2, bbox: [10, 10, 5, 5], area: 25, iscrowd: 0, attributes: { note: 'untouched' }, segmentation: { counts: 'abc', size: [32, 32] } },
  ],
  categories: [
    { id: 1, name: 'nevus', supercategory: 'lesion', keypoints: ['centre'], skeleton: [], color: '#00ff00' },
    { id: 2, name: 'melanoma', supercategory: 'lesion', isthing: 1 },
  ],
};

test('annotator edits keep every COCO field they do not edit (segmentation, keypoints, attributes, licenses, image and category metadata)', () => {
  const m = AnnotatorModel.fromText(JSON.stringify(COCO));
  for (const intent of [
    { kind: 'setBox', id: 1, bbox: [5, 5, 10, 10] },
    { kind: 'acceptSuggestions', ids: [2] },
    { kind: 'setCategory', ids: [3], categoryId: 1 },
    { kind: 'addBox', imageId: 1, bbox: [30, 30, 5, 5], categoryId: 2 },
    { kind: 'review', imageId: 2, entry: { status: 'reviewed' } },
  ] as const) {
    assert.ok(m.apply(structuredClone(intent) as Parameters<AnnotatorModel['apply']>[0]).result.ok, intent.kind);
  }
  const saved = JSON.parse(m.serialize()) as typeof COCO & { info: Record<string, unknown> };
  assert.deepEqual(saved.licenses, COCO.licenses);
  assert.equal(saved.info.description, 'from another tool');
  assert.equal(saved.info.year, 2024);
  assert.deepEqual(saved.images, COCO.images, 'image metadata (license, date_captured, urls, attributes) kept');
  assert.deepEqual(saved.categories, COCO.categories, 'category metadata (keypoints, skeleton, colour, isthing) kept');
  const [a1, a2, a3, a4] = saved.annotations as Record<string, unknown>[];
  assert.deepEqual(a1, { ...COCO.annotations[0], bbox: [5, 5, 10, 10], area: 100 }, 'a moved box keeps its segmentation and attributes');
  assert.deepEqual(a2, { id: 2, image_id: 2, category_id: 2, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0, source: 'manual', keypoints: [2, 3, 2], num_keypoints: 1 }, 'an accepted box keeps its keypoints');
  assert.deepEqual(a3, { ...COCO.annotations[2], category_id: 1, source: 'manual' }, 'a relabelled box keeps its RLE segmentation');
  assert.deepEqual(a4, { id: 4, image_id: 1, category_id: 2, bbox: [30, 30, 5, 5], area: 25, iscrowd: 0, source: 'manual' });
  // And it reopens to the same bytes.
  assert.equal(AnnotatorModel.fromText(m.serialize()).serialize(), m.serialize());
});

test('a rejected suggestion is remembered in info.medstudio.rejected (undo forgets it again)', () => {
  const m = AnnotatorModel.fromText(JSON.stringify(COCO));
  const { edit } = m.apply({ kind: 'rejectSuggestions', ids: [2] });
  assert.ok(edit);
  const saved = JSON.parse(m.serialize()) as { info: { medstudio: { rejected: Record<string, unknown> } }; annotations: { id: number }[] };
  assert.deepEqual(saved.info.medstudio.rejected, { '2': { image_id: 2, category_id: 2, bbox: [1, 2, 3, 4], source: 'saliency', score: 0.8 } });
  assert.deepEqual(saved.annotations.map((a) => a.id), [1, 3]);
  m.undo(edit);
  assert.equal(m.serialize(), AnnotatorModel.fromText(JSON.stringify(COCO)).serialize());
});

/** A markups file as 3D Slicer 5 writes it, with members MedStudio never edits. */
const MRK = {
  '@schema': 'https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/Resources/Schema/markups-schema-v1.0.3.json#',
  markups: [
    {
      type: 'ROI',
      coordinateSystem: 'LPS',
      coordinateUnits: 'mm',
      locked: true,
      fixedNumberOfControlPoints: false,
      labelFormat: '%N-%d',
      lastUsedControlPointNumber: 1,
      roiType: 'Box',
      center: [1, 2, 3],
      orientation: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      size: [4, 5, 6],
      insideOut: false,
      controlPoints: [{ id: '7', label: 'nodule-1', description: 'spiculated', associatedNodeID: 'vtkMRMLScalarVolumeNode1', position: [1, 2, 3], orientation: [1, 0, 0, 0, 1, 0, 0, 0, 1], selected: false, locked: true, visibility: true, positionStatus: 'defined' }],
      measurements: [{ name: 'volume', enabled: true, value: 120, units: 'mm3' }],
      display: { visibility: true, opacity: 0.6, color: [0.4, 1, 1], selectedColor: [1, 0.5, 0.5], handlesInteractive: false },
      medstudio: { source: 'segmentation', score: 0.7, category: 'nodule', model: 'run-42' },
    },
    { type: 'ROI', coordinateSystem: 'RAS', center: [9, 9, 9], size: [1, 1, 1], name: 'other', description: 'left alone', display: { opacity: 0.3 } },
  ],
  extraTopLevel: { writtenBy: 'Slicer 5.6' },
};

test('.mrk.json edits keep every markup member they do not edit (display, measurements, descriptions, ids, top-level members)', () => {
  const m = RoiModel.fromText(JSON.stringify(MRK));
  const moved: SlicerRoi = { coordinateSystem: 'LPS', center: [2, 2, 3], size: [4, 5, 6], orientation: [1, 0, 0, 0, 1, 0, 0, 0, 1], label: 'nodule-1', source: 'segmentation', score: 0.7, category: 'nodule' };
  assert.ok(m.apply({ kind: 'putRoi', index: 0, roi: moved }).result.ok);
  assert.ok(m.apply({ kind: 'acceptRois', indexes: [0] }).result.ok);
  assert.ok(m.apply({ kind: 'putRoi', index: null, roi: { ...moved, center: [20, 20, 20], label: 'new' } }).result.ok);
  const saved = JSON.parse(m.serialize()) as typeof MRK & { markups: Record<string, unknown>[] };
  assert.deepEqual(saved.extraTopLevel, MRK.extraTopLevel);
  const [first, second, added] = saved.markups;
  const want0 = structuredClone(MRK.markups[0]!) as Record<string, unknown> & { controlPoints: Record<string, unknown>[] };
  want0.center = [2, 2, 3];
  want0.controlPoints[0]!.position = [2, 2, 3];
  want0.medstudio = { source: 'manual', category: 'nodule', model: 'run-42' };
  assert.deepEqual(first, want0, 'moved and accepted: only the box, its point and the MedStudio source changed');
  assert.equal((second as { description?: string }).description, 'left alone');
  assert.deepEqual((second as { display?: unknown }).display, { opacity: 0.3 });
  assert.equal((second as { coordinateSystem?: string }).coordinateSystem, 'RAS');
  assert.equal((added as { type?: string }).type, 'ROI');
  const { score: _score, ...rest } = moved;
  assert.deepEqual(m.list()[0], { ...rest, source: 'manual' }, 'the webview gets the box itself, not the markup');
});
