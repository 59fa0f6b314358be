import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoiModel } from '../../../extension/src/editors/annotator/roiModel';
import { serializeSlicerRoi, type SlicerRoi } from '../../../server/src/formats/slicerRoi';

const roi = (x: number, source: SlicerRoi['source'] = 'manual', score?: number): SlicerRoi => ({
  coordinateSystem: 'LPS',
  center: [x, 2, 3],
  size: [4, 5, 6],
  orientation: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  label: `R-${x}`,
  source,
  category: 'lesion',
  ...(score !== undefined ? { score } : {}),
});

test('3D boxes are drawn, moved, relabelled, accepted and deleted as undoable edits', () => {
  const m = RoiModel.fromText(serializeSlicerRoi([roi(1, 'segmentation', 0.7)]));
  const opened = m.serialize();
  const edits = [
    m.apply({ kind: 'putRoi', index: null, roi: { ...roi(10), center: [10.00049, 2, -0.0001] } }),
    m.apply({ kind: 'putRoi', index: 1, roi: roi(11) }),
    m.apply({ kind: 'setRoiCategory', indexes: [1], category: 'nodule' }),
    m.apply({ kind: 'acceptRois', indexes: [0] }),
    m.apply({ kind: 'deleteRois', indexes: [1] }),
  ];
  assert.deepEqual(edits[0]!.result, { ok: true, ids: [1] });
  assert.deepEqual(edits.map((e) => e.edit?.label), ['Draw 3D Box', 'Move 3D Box', 'Set Class nodule', 'Accept Suggestion', 'Delete 3D Box']);
  assert.deepEqual(m.list(), [{ ...roi(1), source: 'manual' }]);
  for (const e of [...edits].reverse()) m.undo(e.edit!);
  assert.equal(m.serialize(), opened);
  m.redo(edits[0]!.edit!);
  assert.deepEqual(m.list()[1]!.center, [10, 2, 0], 'kept to 1/1000 mm, no -0');
});

test('bad 3D edits are refused and change nothing', () => {
  const m = RoiModel.fromText(serializeSlicerRoi([roi(1)]));
  assert.match(m.apply({ kind: 'deleteRois', indexes: [3] }).result.message ?? '', /does not exist/);
  assert.match(m.apply({ kind: 'rejectRois', indexes: [0] }).result.message ?? '', /only suggested boxes/);
  assert.match(m.apply({ kind: 'putRoi', index: null, roi: { ...roi(2), size: [0, 1, 1] } }).result.message ?? '', /non-positive/);
  assert.equal(m.list().length, 1);
});
