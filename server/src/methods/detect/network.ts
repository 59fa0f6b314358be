/**
 * The detector: a ResNet or MobileNet trunk (networks/, the same layer names as the classifiers,
 * so `init:` copies a CARE, MoCo or DisCo run's weights by name) and CenterNet's heads on its last
 * feature map: a shared 3x3 conv, then a 1-channel heatmap (logits; bias -2.19 so every cell
 * starts at p = 0.1, as CenterNet does), box width/height and centre offset in cells.
 *
 * Outputs [features, det_heat, det_size, det_offset, det_score]; det_score is the heatmap's
 * spatial maximum ([B, 1]), the "is there a lesion" score that Grad-CAM (explain/) differentiates,
 * so explanations of a detector need nothing of their own.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { resNetTrunk } from '../../networks/resnet';
import { mobileNetTrunk } from '../../networks/mobilenet';

export interface DetectorOptions {
  backbone: 'resnet' | 'mobilenet';
  inputSize: number;
  channels: number;
  width: number;
  depth: number;
  seed: number;
}

export interface Detector {
  model: tfl.LayersModel;
  options: DetectorOptions;
  /** Feature-map side length and input pixels per cell. */
  featureSize: number;
  stride: number;
}

export const DETECTOR_OUTPUTS = ['features', 'det_heat', 'det_size', 'det_offset', 'det_score'] as const;
export const HEAT_PRIOR_BIAS = -2.19;

export function buildDetector(o: DetectorOptions): Detector {
  const input = tfl.input({ shape: [o.inputSize, o.inputSize, o.channels], name: 'image' });
  const features = o.backbone === 'mobilenet' ? mobileNetTrunk(input, o) : resNetTrunk(input, o);
  const channels = features.shape[3] ?? o.width;
  let seed = o.seed + 20011;
  const conv = (x: tfl.SymbolicTensor, filters: number, k: number, name: string, bias = 0) =>
    tfl.layers
      .conv2d({ filters, kernelSize: k, padding: 'same', kernelInitializer: tfl.initializers.heNormal({ seed: seed++ }), biasInitializer: tfl.initializers.constant({ value: bias }), name })
      .apply(x) as tfl.SymbolicTensor;
  const shared = tfl.layers.reLU({ name: 'det_relu' }).apply(conv(features, channels, 3, 'det_conv')) as tfl.SymbolicTensor;
  const heat = conv(shared, 1, 1, 'det_heat', HEAT_PRIOR_BIAS);
  const size = conv(shared, 2, 1, 'det_size');
  const offset = conv(shared, 2, 1, 'det_offset');
  const score = tfl.layers.globalMaxPooling2d({ name: 'det_score' }).apply(heat) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: [features, heat, size, offset, score], name: 'centernet_detector' });
  const featureSize = features.shape[1] ?? 1;
  return { model, options: o, featureSize, stride: o.inputSize / featureSize };
}
