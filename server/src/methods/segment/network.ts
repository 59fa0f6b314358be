/**
 * Builds the 3D segmentation network for an experiment: a UNETR-style decoder on a ViT encoder,
 * from scratch, or with the encoder of a GL-MAE run (`init: <run dir>`), whose architecture then
 * wins over the experiment's model.* ViT keys (the input size stays the experiment's; position
 * embeddings are interpolated to it).
 */
import * as fs from 'node:fs';
import type { Experiment } from '../../experiment/types';
import { ParamStore } from '../../networks/vit3dParams';
import { Unetr3d } from '../../networks/unetr3d';
import type { Vit3dConfig } from '../../networks/vit3dConfig';
import { encoderFileOfRun, loadEncoderInto, readEncoderTopology } from '../../networks/vit3dIo';
import { encoderConfigFromExperiment } from '../glmae/options';

/** The pretrained encoder file of `init`, or a specific error saying what `init` must be. */
export function initEncoderFile(e: Experiment): string | undefined {
  if (!e.init) return undefined;
  const file = encoderFileOfRun(e.init);
  if (!fs.existsSync(file)) {
    throw new Error(`${e.file}: init '${e.init}' is not a finished GL-MAE run folder (no model/encoder.json in it); point init at a run directory under .medstudio/runs/`);
  }
  return file;
}

export function segmentEncoderConfig(e: Experiment): { config: Vit3dConfig; initFile?: string } {
  const initFile = initEncoderFile(e);
  if (!initFile) return { config: encoderConfigFromExperiment(e) };
  const saved = readEncoderTopology(initFile).encoder;
  return { config: { ...saved, inputSize: e.model.inputSize }, initFile };
}

export interface Segmenter {
  ps: ParamStore;
  net: Unetr3d;
  /** Messages for the log (what was loaded, what was overridden). */
  notes: string[];
}

export function buildSegmenter(e: Experiment, classes: number): Segmenter {
  const { config, initFile } = segmentEncoderConfig(e);
  const ps = new ParamStore(e.train.seed);
  const net = new Unetr3d({ encoder: config, width: e.model.decoderWidth, classes }, ps);
  const notes: string[] = [];
  if (initFile) {
    try {
      const t = loadEncoderInto(net.encoder, initFile);
      notes.push(`encoder initialised from ${initFile} (${t.method}: patch ${config.patchSize}, embed ${config.embedDim}, depth ${config.depth}, heads ${config.heads})`);
    } catch (err) {
      ps.dispose();
      throw err;
    }
  } else notes.push('encoder trained from scratch (no init)');
  return { ps, net, notes };
}
