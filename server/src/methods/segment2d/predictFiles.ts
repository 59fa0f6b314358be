/**
 * What `medstudio explain` gives for a segment2d run: the model's mask of an image at the image's
 * own size (`<stem>.mask.png`: class index per pixel, x 255 for two classes so it is visible, the
 * PH2 convention) and its foreground probability over the image (`<stem>.probability.png`).
 * A segmentation's explanation is where it puts the lesion and how sure it is; Grad-CAM is for
 * the classifiers (explain/).
 */
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../../data/atomicWrite';
import { readImage } from '../../data/readers';
import { writeHeatmapFiles } from '../../explain/outputs';
import { resizeLinear } from '../../transforms/resample';
import { foregroundMap, labelsAtSize, loadSegment2dModel, modelInputOf, predictProbabilities } from './model';

export interface Segment2dPrediction {
  classes: string[];
  width: number;
  height: number;
  /** Pixels per class in the predicted mask. */
  pixels: Record<string, number>;
  files: string[];
}

export async function writeSegment2dPrediction(runDir: string, imagePath: string, outDir: string, stem: string, zoom?: number): Promise<Segment2dPrediction> {
  const img = await readImage(imagePath);
  if (img.spatialDims === 3 && (img.dims[2] ?? 1) > 1) throw new Error(`${imagePath}: a segment2d model segments 2D images; this is a 3D volume`);
  const [width, height] = [img.dims[0]!, img.dims[1]!];
  const m = loadSegment2dModel(runDir);
  try {
    const S = m.meta.inputSize;
    const K = m.meta.classes.length;
    const [probs] = await predictProbabilities(m, [modelInputOf(m, { data: img.data, dims: img.dims, components: img.components, eightBit: img.pixelType === 'uint8' }, imagePath)]);
    const labels = labelsAtSize(probs!, S, K, width, height, m.meta.largestComponent);
    const png = new PNG({ width, height });
    const scale = K === 2 ? 255 : 1;
    labels.forEach((v, p) => {
      png.data.fill(v * scale, p * 4, p * 4 + 3);
      png.data[p * 4 + 3] = 255;
    });
    const maskFile = path.join(outDir, `${stem}.mask.png`);
    await writeFileAtomic(maskFile, new Uint8Array(PNG.sync.write(png, { colorType: 0 })));
    const fg = resizeLinear({ data: foregroundMap(probs!, K), shape: [1, S, S], channels: 1 }, [1, height, width]).data;
    const heat = await writeHeatmapFiles(outDir, `${stem}.probability`, img, fg, false, zoom);
    const pixels: Record<string, number> = Object.fromEntries(m.meta.classes.map((c) => [c, 0]));
    for (const v of labels) pixels[m.meta.classes[v]!]!++;
    return { classes: m.meta.classes, width, height, pixels, files: [maskFile, ...heat] };
  } finally {
    m.dispose();
  }
}
