/** Long-tail toolkit: balancing, classifier weight normalisation, TTA, data cleaning, high-res fine-tuning, classifier re-training. */
export * from './balance';
export * from './weightNorm';
export * from './tta';
export * from './cleaning';
export * from './outOfFold';
export * from './hiRes';
export * from './classifierRetrain';
