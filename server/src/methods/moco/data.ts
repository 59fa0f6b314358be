/**
 * The images MoCo/DisCo train and probe on: train/val/test splits of HWC Float32 images in
 * [0, 1] with integer labels (labels are used only by the probes, never by training), read
 * through the project's classification datasets (server/src/data).
 *
 * Images are kept at twice the model's input size: a random-resized crop then keeps detail
 * instead of enlarging a low-resolution patch, and the probes downsample the whole image.
 */
import { loadClassificationDataset, type ClassificationDataset, type DatasetSample } from '../../data/datasets';
import type { Experiment } from '../../experiment/types';
import type { ImageShape } from './augment';

export interface ImageSplit {
  images: Float32Array[];
  labels: number[];
}

export interface ContrastiveData {
  shape: ImageShape;
  classes: string[];
  train: ImageSplit;
  val: ImageSplit;
  test: ImageSplit;
}

export type DataLoader = (e: Experiment) => Promise<ContrastiveData>;

/** Source resolution relative to the model input (see the module comment). */
const SOURCE_SCALE = 2;

export const loadContrastiveData: DataLoader = async (e) => {
  if (e.data.format === 'volumes' || e.data.format === 'coco') throw new Error(`${e.file}: MoCo/DisCo train 2D encoders; data.format 'volumes' is for glmae/segment`);
  const ds = await loadClassificationDataset({
    format: e.data.format,
    path: e.data.path,
    classes: e.data.classes,
    inputSize: e.model.inputSize * SOURCE_SCALE,
    ...(e.model.channels === 1 || e.model.channels === 3 ? { channels: e.model.channels } : {}),
    seed: e.train.seed,
    valFraction: e.data.valFraction,
    testFraction: e.data.testFraction,
    boxes: false,
  });
  if (ds.spatialDims !== 2) throw new Error(`${e.data.path}: MoCo/DisCo need 2D images, this dataset is 3D`);
  const [height, width, channels] = ds.inputShape as [number, number, number];
  const read = async (samples: DatasetSample[]): Promise<ImageSplit> => {
    const out: ImageSplit = { images: [], labels: [] };
    for (const s of samples) {
      out.images.push(await ds.load(s));
      out.labels.push(s.label);
    }
    return out;
  };
  const split = (s: Parameters<ClassificationDataset['split']>[0]) => read(ds.split(s));
  const data: ContrastiveData = { shape: { height, width, channels }, classes: ds.classes, train: await split('train'), val: await split('val'), test: await split('test') };
  if (data.train.images.length === 0) throw new Error(`${e.data.path}: no training images`);
  return data;
};
