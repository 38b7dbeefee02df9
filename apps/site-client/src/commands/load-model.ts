import { layersFormatDir, selectEngine } from '@fedaln/model';
import * as tfl from '@tensorflow/tfjs-layers';
import * as path from 'node:path';

/** Starts the engine (`FEDALN_ENGINE`, default auto) and loads a tfjs layers-format model directory. */
export async function loadModelDir(dir: string, log: (line: string) => void): Promise<tfl.LayersModel> {
  await selectEngine(undefined, log);
  return tfl.loadLayersModel(layersFormatDir(path.resolve(dir)));
}
