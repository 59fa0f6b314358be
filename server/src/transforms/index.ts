/** Transforms shared by 2D and 3D data (spatialDims), all seeded. */
export { createRng, deriveSeed, type Rng } from './rng';
export { makeVolume, volumeSize, type Volume } from './volume';
export { resizeLinear, resizeNearest } from './resample';
export { applySpatialTransform, augment, DEFAULT_AUGMENT, jitterIntensity, randomSpatialTransform, type AugmentOptions, type Axis, type SpatialTransform } from './augment';
