import path from 'node:path';
import type { PredictModel } from '../../common/contract';
import { GraftError } from '../../common/errors';
import { ExportedOnnxModel } from './exported-model';
import type { GraftApp } from './graft-app';
import type { PhotoClassifier } from './prediction';
import { ExperimentModel } from './predictor';

/** Opens the model a prediction names: a finished experiment, or one of its ONNX exports. */
export async function openClassifier(app: GraftApp, model: PredictModel): Promise<PhotoClassifier> {
  if (model.kind === 'experiment') return ExperimentModel.open(app.experiments, app.backbones, model.experimentId);
  const record = app.exports.get(model.exportId);
  if (record.format !== 'onnx') {
    throw new GraftError('BAD_REQUEST', 'Predict with the experiment or an ONNX export; TF.js exports run in TF.js.');
  }
  if (record.missing) throw new GraftError('NOT_FOUND', `The export's files are no longer at ${record.path}.`);
  return ExportedOnnxModel.open(path.join(record.path, 'model.onnx'));
}
