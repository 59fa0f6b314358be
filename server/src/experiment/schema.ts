/**
 * The schema of `*.medstudio.yaml` experiment files, declared once. The parser validates with
 * it, the language server derives diagnostics, completion and hover from it, and the JSON
 * schema contributed for other YAML tooling is generated from it.
 */
export type SchemaNode =
  | { kind: 'object'; doc: string; keys: Record<string, SchemaNode>; required?: string[] }
  | { kind: 'string'; doc: string; enum?: readonly string[]; path?: 'file' | 'dir' | 'fileOrDir'; default?: string }
  | { kind: 'number'; doc: string; min?: number; max?: number; integer?: boolean; default?: number }
  | { kind: 'boolean'; doc: string; default?: boolean }
  | { kind: 'array'; doc: string; items: SchemaNode; minItems?: number }
  /** Free keys (a sweep's `train.lr: [...]`); the parser checks each entry with `check`'s rules (experiment/sweepParams.ts). */
  | { kind: 'map'; doc: string; check: 'sweepParam' };

export const METHODS = ['care', 'supervised', 'glmae', 'segment', 'moco', 'disco', 'detect', 'segment2d'] as const;
export type Method = (typeof METHODS)[number];

const str = (doc: string, extra: Partial<Extract<SchemaNode, { kind: 'string' }>> = {}): SchemaNode => ({ kind: 'string', doc, ...extra });
const num = (doc: string, extra: Partial<Extract<SchemaNode, { kind: 'number' }>> = {}): SchemaNode => ({ kind: 'number', doc, ...extra });
const int = (doc: string, extra: Partial<Extract<SchemaNode, { kind: 'number' }>> = {}): SchemaNode => ({ kind: 'number', doc, integer: true, ...extra });
const bool = (doc: string, dflt?: boolean): SchemaNode => ({ kind: 'boolean', doc, default: dflt });
const obj = (doc: string, keys: Record<string, SchemaNode>, required?: string[]): SchemaNode => ({ kind: 'object', doc, keys, required });

export const experimentSchema = obj(
  'A MedStudio experiment: what to train, on which data, with which model and settings. Paths are relative to this file.',
  {
    name: str('A short name for the experiment, shown in the run list.'),
    method: str(
      'Training method. `care`: cross-entropy then CARE attention to lesion boxes of rare classes. `supervised`: cross-entropy only (the baseline). `glmae`: GL-MAE self-supervised pretraining of a 3D ViT. `segment`: 3D segmentation (UNETR-style decoder), optionally from a GL-MAE encoder. `moco`: MoCo-v2 self-supervised teacher. `disco`: DisCo distillation of a teacher into a lightweight student. `detect`: a 2D lesion detector (CenterNet-style heatmap) trained on COCO boxes.',
      { enum: METHODS },
    ),
    init: str('Run directory whose trained encoder initialises this model: a GL-MAE run for `vit3d`, a MoCo teacher (`resnet`) or DisCo student (`mobilenet`) for 2D classifiers. model.width/depth must match the run.', { path: 'dir' }),
    teacher: str('DisCo only: run directory of the frozen self-supervised teacher (a `moco` run).', { path: 'dir' }),
    data: obj(
      'Where the data is and how to read it.',
      {
        format: str('Dataset layout: `folder` (a folder per class), `csv` (path,label[,split]), `npz` (MedMNIST-style arrays), `volumes` (3D volumes with label maps, for `segment` and `glmae`), `coco` (a COCO box file, for `detect`), `images` (2D images in `path` with their masks in `labels`, for `segment2d`).', {
          enum: ['folder', 'csv', 'npz', 'volumes', 'coco', 'images'],
        }),
        path: str('The dataset: a folder, a CSV manifest or an .npz file.', { path: 'fileOrDir' }),
        labels: str('For `volumes`: folder of label maps matching the volumes by file name. For `images`: folder of masks (`<image stem>.png` or `<image stem>_<anything>.png`; binary masks: any value > 0 is foreground; more classes: pixel values are class indices).', { path: 'dir' }),
        classes: { kind: 'array', doc: 'Class names, in label order. Must match the classes found in the data.', items: str('A class name.') },
        rare: { kind: 'array', doc: 'CARE: the rare classes whose lesion regions get attention during training.', items: str('A class name from `classes`.') },
        boxes: obj('CARE: where the lesion boxes of rare-class images come from.', {
          source: str('`manual`: boxes drawn by hand (COCO file in `path`; npz images are named `<file>.npz#<split>/<index>`). `masks`: boxes around the lesion masks in the folder `path` (`<image stem>.png` or `<image stem>_lesion.png`). `saliency`: frequency-tuned saliency (MedStudio default; spectral residual with the CLI option --saliency), Otsu threshold, largest component. `segmentation`: a segmentation model\'s mask, largest component.', {
            enum: ['manual', 'masks', 'saliency', 'segmentation'],
          }),
          path: str('COCO JSON with the boxes (for `manual`), or the folder of lesion masks (for `masks`).', { path: 'fileOrDir' }),
          model: str('Run directory of a `segment2d` run (for `segmentation`): its masks on the images give the boxes. Without it, a small net is trained on saliency pseudo-masks.', { path: 'dir' }),
        }),
        valFraction: num('Fraction of the data for validation when the data has no split column.', { min: 0, max: 0.5, default: 0.15 }),
        testFraction: num('Fraction of the data for testing when the data has no split column.', { min: 0, max: 0.5, default: 0.15 }),
        split: str('A CSV (path,split) that assigns each file to train, val or test (a fixed split that several experiments share); paths are relative to the CSV. Without it the split is seeded by train.seed.', { path: 'file' }),
        labelled: int('Fine-tuning with few labels: use only this many labelled training items (0 = all).', { min: 0, default: 0 }),
        spacing: { kind: 'array', doc: 'For `volumes` (ViT `segment`, `glmae`): target voxel spacing [D, H, W] in mm. Each volume is put in one canonical voxel frame and resampled to it (linear for images, nearest for labels) before anything else; Dice is then measured on that grid. Unset: voxels are used as stored. (The U-Net plans its own: `unet.spacing`.)', items: num('mm.', { min: 0 }), minItems: 3 },
        intensity: obj('For `volumes`: how each volume becomes [0, 1]. Unset: per-volume min-max. Give one of `window` or `percentiles`.', {
          window: { kind: 'array', doc: 'CT: clamp to [lo, hi] in stored units (Hounsfield), e.g. [-1000, 400].', items: num('Stored value.'), minItems: 2 },
          percentiles: { kind: 'array', doc: 'MR: clamp each volume to its own [p, q] percentiles (in %), e.g. [0.5, 99.5], then scale to [0, 1].', items: num('Percent.', { min: 0, max: 100 }), minItems: 2 },
        }),
        patch: bool('For `volumes` (ViT `segment`, `glmae`): keep volumes whole (at `spacing`) and train on patches of model.inputSize (GL-MAE: glmae.volumeSize) instead of squashing each volume into it. Segmentation patches hold a labelled voxel one time in three (the rest anywhere) and val/test Dice comes from sliding windows over whole volumes; GL-MAE patches are placed at random. Without it a volume much larger than the input is squashed (the log says so).', false),
        patchesPerVolume: int('With `patch`: patches cut from each decoded volume per step.', { min: 1, default: 2 }),
      },
      ['format', 'path'],
    ),
    model: obj('The network.', {
      backbone: str('Network family: `resnet` (2D ResNet-style CNN), `mobilenet` (depthwise-separable, lightweight), `cnn3d` (3D CNN), `vit3d` (3D Vision Transformer), `unet` (convolutional U-Net for `segment`, configured from the data: see `unet`).', {
        enum: ['resnet', 'mobilenet', 'cnn3d', 'vit3d', 'unet'],
      }),
      width: int('Channels of the first stage (doubles at each stride-2 stage).', { min: 4, max: 512, default: 32 }),
      depth: int('Residual/transformer blocks per stage (ResNet) or in total (ViT).', { min: 1, max: 24, default: 2 }),
      inputSize: int('Input size in pixels/voxels per side (images are resized to it).', { min: 16, max: 512, default: 64 }),
      channels: int('Input channels (1 grey/CT, 3 RGB).', { min: 1, max: 4 }),
      patchSize: int('ViT: patch size in voxels per side.', { min: 2, max: 32, default: 8 }),
      embedDim: int('ViT: embedding width.', { min: 16, max: 1024, default: 96 }),
      heads: int('ViT: attention heads.', { min: 1, max: 16, default: 4 }),
      decoderWidth: int('GL-MAE/UNETR: decoder width.', { min: 8, max: 1024, default: 64 }),
      decoderDepth: int('GL-MAE: decoder transformer blocks.', { min: 1, max: 12, default: 2 }),
      projectionDim: int('Embedding size of the self-supervised projection head (MoCo/DisCo).', { min: 8, max: 1024, default: 128 }),
      hidden: int('Hidden width of the MLP head. DisCo\'s "distilling bottleneck" enlarges it (reference 2048).', { min: 8, max: 8192 }),
    }),
    train: obj('Optimisation.', {
      epochs: int('Training epochs.', { min: 1, max: 10000, default: 10 }),
      batchSize: int('Images (or volumes) per step.', { min: 1, max: 4096, default: 32 }),
      lr: num('Learning rate.', { min: 0, max: 10, default: 0.001 }),
      optimizer: str('Optimiser.', { enum: ['adam', 'sgd'], default: 'adam' }),
      momentum: num('SGD momentum.', { min: 0, max: 1, default: 0.9 }),
      nesterov: bool('SGD: Nesterov momentum.', false),
      weightDecay: num('L2 weight decay on kernels (not biases or normalisation), added to their gradients; every method.', { min: 0, max: 1, default: 0 }),
      schedule: str('Learning-rate schedule over each training phase: `cosine` (decay to 0), `poly` ((1 - epoch/epochs)^0.9) or `constant`; every method.', { enum: ['cosine', 'poly', 'constant'], default: 'cosine' }),
      seed: int('Random seed: a run is reproducible from its experiment file.', { min: 0, default: 1 }),
      balance: str('Long-tail: `sampler` (class-balanced sampling), `reweight` (inverse-frequency loss weights) or `none`.', {
        enum: ['none', 'sampler', 'reweight'],
        default: 'none',
      }),
      augment: bool('Seeded random flips, shifts, rotations and intensity jitter.', true),
      checkpointEvery: int('Write a checkpoint every N epochs.', { min: 1, default: 1 }),
      adaptiveThreads: bool('Let training change the native kernels\' thread count from measured step times (faster when other work holds the cores). Off by default: a different thread count sums in a different order, so the run is no longer bit-reproducible from its seed and a resumed run no longer ends exactly as an uninterrupted one. Only with the automatic thread count (compute.threads 0).', false),
    }),
    care: obj('CARE attention loss (ALGORITHMS.md).', {
      alpha: num('Weight of the attention loss: alpha * L_cam + (1 - alpha) * CE.', { min: 0, max: 1, default: 0.01 }),
      threshold: num('T in L_cam = -min(sum(cam * inner), T) + sum(cam * outer).', { min: 0, max: 1, default: 0.5 }),
      stage1Epochs: int('Epochs of stage 1 (cross-entropy only) before the attention loss starts.', { min: 0 }),
      outerStart: num('Outer mask value at the box edge (1 = the reference\'s uniform outer mask).', { min: 0, default: 1 }),
      outerDelta: num('Outer mask growth per pixel of distance to the box (0 = uniform).', { min: 0, default: 0 }),
    }),
    glmae: obj('GL-MAE pretraining (ALGORITHMS.md).', {
      maskRatio: num('Fraction of patches masked.', { min: 0, max: 0.95, default: 0.75 }),
      localViews: int('Local views per volume.', { min: 0, max: 16, default: 2 }),
      globalScale: num('Global crop size as a fraction of the volume.', { min: 0.2, max: 1, default: 0.8 }),
      localSize: int('Local crop size in voxels (native resolution).', { min: 8, max: 256, default: 16 }),
      lambdaG2G: num('Weight of the global-to-global consistency loss.', { min: 0, default: 1 }),
      lambdaL2G: num('Weight of the local-to-global correspondence loss.', { min: 0, default: 1 }),
      emaMomentum: num('EMA teacher momentum.', { min: 0, max: 1, default: 0.996 }),
      target: str('How reconstruction targets are normalised: `view` (each view standardised, so patch means are predicted too; MedStudio\'s default) or `patch` (each patch standardised, MAE\'s norm_pix_loss).', { enum: ['view', 'patch'], default: 'view' }),
      volumeSize: int('Grid (voxels per side) the volumes are resampled to before views are cut; local views are at this resolution. 0 = 1.5 x model.inputSize (MedStudio\'s choice).', { min: 0, max: 512, default: 0 }),
      predictor: bool('A BYOL-style predictor MLP on the student\'s embedding before the consistency losses. Not in the GL-MAE paper (off by default); an ablation option.', false),
    }),
    disco: obj('MoCo-v2 / DisCo (ALGORITHMS.md).', {
      queueSize: int('Negatives in the queue.', { min: 16, default: 4096 }),
      temperature: num('InfoNCE temperature.', { min: 0.001, max: 10, default: 0.2 }),
      keyMomentum: num('Momentum of the key encoder.', { min: 0, max: 1, default: 0.999 }),
      infoNCE: bool('DisCo: keep the InfoNCE term (false = MSE distillation only).', true),
      student: str('DisCo student network.', { enum: ['mobilenet', 'resnet'], default: 'mobilenet' }),
    }),
    unet: obj('`segment` with `model.backbone: unet`: a convolutional U-Net trained on patches at the data\'s own resolution and predicted with sliding windows. Unset keys are configured from the dataset fingerprint (fingerprint.json and plan.json in the run; the run\'s experiment.json records the values used). `segment2d` uses `features`, `maxFeatures`, `stages` (0 = halving down to at least 4 pixels, up to 6), `block`, `deepSupervision` and `largestComponent`; it trains with `train.*`. The 3D U-Net\'s optimiser is `train.*` too, with nnU-Net\'s defaults for `model.backbone: unet`: sgd, momentum 0.99, nesterov, lr 0.01, schedule poly.', {
      patch: { kind: 'array', doc: 'Patch size [D, H, W] in voxels. Default: the median volume at the target spacing, fitted to memoryMB.', items: int('Voxels.', { min: 1, max: 1024 }), minItems: 3 },
      spacing: { kind: 'array', doc: 'Target voxel spacing [D, H, W] in mm. Default: the dataset\'s median spacing.', items: num('mm.', { min: 0 }), minItems: 3 },
      normalisation: str('Intensity normalisation: `ct` (clip to the foreground 0.5-99.5 percentiles, z-score with the dataset\'s foreground statistics), `mr` (z-score per volume), `none`, or `auto` (ct when the data reach below -500, else mr).', { enum: ['auto', 'ct', 'mr', 'none'], default: 'auto' }),
      features: int('Feature maps of the first stage (double per stage). 0 = from the compute budget: nnU-Net\'s 32 on a GPU backend, 16 on the CPU (a third of the step time, measured on 2 cores).', { min: 0, max: 256, default: 0 }),
      maxFeatures: int('Feature maps of any stage at most.', { min: 2, max: 1024, default: 320 }),
      stages: int('Resolution stages (0 = as many as keep feature maps of at least 4 voxels, up to 6).', { min: 0, max: 8, default: 0 }),
      block: str('`plain` (two conv-norm-lrelu) or `residual` blocks.', { enum: ['plain', 'residual'], default: 'plain' }),
      deepSupervision: bool('Also supervise the decoder\'s lower-resolution outputs (weights halving per level).', true),
      batchSize: int('Patches per step (0 = on a GPU what fits memoryMB, at least 2; on the CPU 2, the most updates per hour).', { min: 0, max: 256, default: 0 }),
      memoryMB: int('Training memory budget used to size the patch and the batch.', { min: 64, default: 2048 }),
      foreground: num('Share of each batch\'s patches forced to contain foreground.', { min: 0, max: 1, default: 0.33 }),
      stepsPerEpoch: int('Training steps per epoch.', { min: 1, default: 250 }),
      mirror: bool('Test-time augmentation: average predictions over mirrorings along every axis.', true),
      overlap: num('Sliding-window overlap between neighbouring windows.', { min: 0, max: 0.9, default: 0.5 }),
      largestComponent: bool('Keep only the largest connected component of each class.', false),
    }),
    detect: obj('`detect`: decoding the heatmap into boxes (methods/detect).', {
      scoreThreshold: num('Boxes scoring below this are dropped (evaluation keeps everything above it, so keep it low).', { min: 0, max: 1, default: 0.05 }),
      nmsIou: num('Non-maximum suppression: a box overlapping a higher-scoring one by more than this IoU is dropped.', { min: 0, max: 1, default: 0.5 }),
      maxDetections: int('Boxes kept per image at most.', { min: 1, max: 100, default: 10 }),
    }),
    longtail: obj('Long-tail toolkit.', {
      weightNorm: num('Classifier weight normalisation: tau (0 = off, 1 = full normalisation).', { min: 0, max: 2, default: 0 }),
      tta: bool('Test-time augmentation: average predictions over flips and small shifts.', false),
      cleaningRounds: int('Iterative data cleaning: rounds of train, score labels, flag suspects, retrain.', { min: 0, max: 10, default: 0 }),
      cleaningFraction: num('Fraction of the training samples of each class flagged as suspect per round.', { min: 0, max: 0.5, default: 0.05 }),
      cleaningFolds: int('Data cleaning scores each image with a model that did not train on it: the training images are split into this many folds (stratified by class), and the images of each fold are scored by a model trained on the other folds (so each round trains this many models).', { min: 2, max: 10, default: 3 }),
      hiResInputSize: int('High-resolution fine-tuning: after training, fine-tune at this input size (0 = off).', { min: 0, max: 512, default: 0 }),
      hiResEpochs: int('Epochs of high-resolution fine-tuning.', { min: 0, default: 2 }),
      crtEpochs: int('Classifier re-training (cRT): after training, epochs that re-train a re-initialised classifier on the frozen backbone with class-balanced sampling (0 = off).', { min: 0, default: 0 }),
      crtLr: num('Learning rate of classifier re-training, with its own optimiser and schedule (default: train.lr).', { min: 0, max: 10 }),
    }),
    output: obj('Where runs go.', {
      dir: str('Runs folder (default: .medstudio/runs in the workspace).', { path: 'dir' }),
    }),
    sweep: obj('A hyper-parameter sweep: `medstudio sweep <experiment>` (or the palette) expands this block into trials, each a copy of this experiment with some keys changed. `medstudio train` ignores it.', {
      strategy: str('`grid`: every combination of the listed values. `random`: `trials` samples, each value drawn from its list or range.', { enum: ['grid', 'random'], default: 'grid' }),
      trials: int('Random strategy: how many settings to draw (each run once per seed).', { min: 1, max: 1000, default: 8 }),
      seeds: { kind: 'array', doc: 'Training seeds (train.seed): every setting runs once per seed. Default: the experiment\'s train.seed.', items: int('A seed.', { min: 0 }), minItems: 1 },
      samplerSeed: int('Random strategy: seed of the draws, so the same trials come out every time.', { min: 0, default: 0 }),
      concurrency: int('Trials that train at the same time on this machine (the local job queue).', { min: 1, max: 64, default: 1 }),
      metric: str('The metric that ranks trials and marks the best one (final test value, else the best validation value).', {
        enum: ['balancedAccuracy', 'accuracy', 'auc', 'meanClassError', 'loss'],
        default: 'balancedAccuracy',
      }),
      params: { kind: 'map', doc: 'Keys to vary, as `section.key: [values]` for any `train.*`, `model.*`, `care.*`, `glmae.*`, `disco.*` or `longtail.*` key (or `method`). For `random`, a number may instead take `{ min, max, log }`.', check: 'sweepParam' },
    }, ['params']),
    cluster: obj('Resources for `medstudio sweep --slurm` / `medstudio submit --slurm` (flags override them).', {
      partition: str('Slurm partition (sbatch --partition).'),
      account: str('Slurm account (sbatch --account).'),
      qos: str('Slurm QOS (sbatch --qos).'),
      cpus: int('CPUs per task (sbatch --cpus-per-task).', { min: 1, max: 1024 }),
      memory: str('Memory per node, e.g. `8G` (sbatch --mem).'),
      gpus: int('GPUs per task (sbatch --gres=gpu:N).', { min: 0, max: 64 }),
      time: str('Time limit, e.g. `02:00:00` (sbatch --time).'),
      maxParallel: int('Array tasks that run at once (sbatch --array=...%N).', { min: 1, max: 10000 }),
      setup: str('Shell lines run before `medstudio train` in each task (e.g. `module load nodejs`).'),
    }),
  },
  ['method', 'data'],
);

/** The schema node at a key path (['train', 'lr']), or undefined. */
export function schemaAt(path: readonly (string | number)[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = experimentSchema;
  for (const k of path) {
    if (!node) return undefined;
    if (node.kind === 'object' && typeof k === 'string') node = node.keys[k];
    // A swept key (sweep.params['train.lr']) follows the schema of the key it varies: hover and value completion.
    else if (node.kind === 'map' && typeof k === 'string') node = k === 'method' || k.includes('.') ? schemaAt(k.split('.')) : undefined;
    else if (node.kind === 'array' && typeof k === 'number') node = node.items;
    else return undefined;
  }
  return node;
}

/** JSON Schema (draft-07) for other YAML tooling. */
export function toJsonSchema(node: SchemaNode = experimentSchema): Record<string, unknown> {
  switch (node.kind) {
    case 'object':
      return {
        type: 'object',
        description: node.doc,
        additionalProperties: false,
        properties: Object.fromEntries(Object.entries(node.keys).map(([k, v]) => [k, toJsonSchema(v)])),
        ...(node.required ? { required: node.required } : {}),
      };
    case 'string':
      return { type: 'string', description: node.doc, ...(node.enum ? { enum: node.enum } : {}), ...(node.default !== undefined ? { default: node.default } : {}) };
    case 'number':
      return {
        type: node.integer ? 'integer' : 'number',
        description: node.doc,
        ...(node.min !== undefined ? { minimum: node.min } : {}),
        ...(node.max !== undefined ? { maximum: node.max } : {}),
        ...(node.default !== undefined ? { default: node.default } : {}),
      };
    case 'boolean':
      return { type: 'boolean', description: node.doc, ...(node.default !== undefined ? { default: node.default } : {}) };
    case 'array':
      return { type: 'array', description: node.doc, items: toJsonSchema(node.items), ...(node.minItems ? { minItems: node.minItems } : {}) };
    case 'map':
      return { type: 'object', description: node.doc, additionalProperties: { oneOf: [{ type: 'array' }, { type: 'object', properties: { min: { type: 'number' }, max: { type: 'number' }, log: { type: 'boolean' } } }] } };
  }
}
