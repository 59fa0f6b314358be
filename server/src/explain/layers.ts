/**
 * The layers of a model as the user picks them: name, class, output shape, and whether the
 * output is a feature map (what Grad-CAM and kernel interpretation work on). Also the default
 * layer (the last convolutional block) and a layer's convolution index, which sets the
 * kernel-interpretation loss weights.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { LayerInfo } from '../protocol';
import type { Layer } from './graph';

/** Spatial axes of the model input: 2 for [b, h, w, c], 3 for [b, d, h, w, c]. */
export function spatialDimsOf(model: LayersModel): 2 | 3 {
  const shape = model.inputs[0]?.shape ?? [];
  if (shape.length === 4) return 2;
  if (shape.length === 5) return 3;
  throw new Error(`explanations need an image model with input [batch, (depth,) height, width, channels]; this one takes [${shape.join(', ')}]`);
}

function outputShapeOf(layer: Layer): number[] {
  const s = layer.outputShape;
  const first = (Array.isArray(s[0]) || s[0] === undefined ? s[0] : s) as (number | null)[] | undefined;
  return (first ?? []).slice(1).map((d) => d ?? -1);
}

/** A feature map: same rank as the input, channels last. */
function isSpatial(layer: Layer, spatialDims: number): boolean {
  return layer.getClassName() !== 'InputLayer' && outputShapeOf(layer).length === spatialDims + 1;
}

const CONV_CLASSES = new Set(['Conv2D', 'Conv3D', 'SeparableConv2D', 'DepthwiseConv2D', 'Conv2DTranspose', 'Conv3DTranspose']);

export function listLayers(model: LayersModel): LayerInfo[] {
  const dims = spatialDimsOf(model);
  return model.layers.map((l) => ({ name: l.name, className: l.getClassName(), outputShape: outputShapeOf(l), spatial: isSpatial(l, dims) }));
}

/**
 * The last convolutional block: the last layer whose output is still a feature map with more
 * than one position (a global pooling kept as [1, 1, C] has nothing to localise).
 */
export function defaultLayer(model: LayersModel): string {
  const dims = spatialDimsOf(model);
  const spatial = model.layers.filter((l) => isSpatial(l, dims) && outputShapeOf(l).slice(0, -1).some((d) => d !== 1));
  const last = spatial[spatial.length - 1];
  if (!last) throw new Error('the model has no convolutional feature maps to explain');
  return last.name;
}

/** Resolves a requested layer name (default: the last block), checking that it is a feature map. */
export function resolveLayer(model: LayersModel, name: string | undefined): Layer {
  const wanted = name ?? defaultLayer(model);
  const layer = model.layers.find((l) => l.name === wanted);
  if (!layer) {
    const names = listLayers(model).filter((l) => l.spatial).map((l) => l.name);
    throw new Error(`no layer named '${wanted}'; feature-map layers are: ${names.join(', ')}`);
  }
  if (!isSpatial(layer, spatialDimsOf(model))) {
    throw new Error(`layer '${wanted}' (${layer.getClassName()}) outputs [${outputShapeOf(layer).join(', ')}], not a feature map; pick a convolutional layer`);
  }
  return layer;
}

/** Channels (kernels) of a feature-map layer. */
export function channelsOf(layer: Layer): number {
  const shape = outputShapeOf(layer);
  return shape[shape.length - 1] ?? 0;
}

/**
 * The layer's position among the model's convolutions (1 = the first), which sets the
 * kernel-interpretation loss weights as in the reference's VGG16 scripts (by convolution index,
 * not by a share of the network). A non-convolution layer takes the index of the last
 * convolution before it; a layer before any convolution counts as the first.
 */
export function convolutionIndex(model: LayersModel, layerName: string): number {
  const index = model.layers.findIndex((l) => l.name === layerName);
  if (index < 0) throw new Error(`no layer named '${layerName}'`);
  const before = model.layers.slice(0, index + 1).filter((l) => CONV_CLASSES.has(l.getClassName())).length;
  return Math.max(1, before);
}
