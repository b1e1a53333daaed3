// A fine-tuned Keras backbone as TF.js files: the backbone's own files with the weights a
// fine-tuning run trained put in place of the originals, everything else left as it was. The
// topology is untouched; every other weight keeps its bytes (and its uint8/float16
// quantisation); each substituted weight is written as float32 with its quantisation dropped,
// so it holds exactly the numbers the run trained and Predict runs.
import { bytesPerValue, concatBytes, type TfjsArtifacts, type WeightSpec } from '../tfjs/tfjs-artifacts';
import { ExportError } from './export-error';

/** One trained weight: its TF.js variable name, shape and values (float32, row-major). */
export interface TrainedWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * The weight spec a trained variable stands for: its name, or its name with the `_<n>` suffix
 * TF.js appends when a model with the same weight names was loaded before in the same process
 * (tfjs-layers getUniqueTensorName). An exact name wins over a suffixed one.
 */
function specFor(name: string, byName: Map<string, WeightSpec>): WeightSpec | undefined {
  return byName.get(name) ?? byName.get(name.replace(/_\d+$/, ''));
}

/**
 * `artifacts` with each of `weights` substituted for the weight it was trained from.
 * Shapes: each trained weight's shape must equal its spec's. Returns new artifacts (the input is
 * not changed); weight order, groups and shard paths stay as they were.
 * @throws ExportError EXPORT_INVALID naming a trained weight the backbone has no weight for,
 *   one whose shape differs, one named twice, or a non-float weight.
 */
export function withTrainedWeights(artifacts: TfjsArtifacts, weights: TrainedWeight[]): TfjsArtifacts {
  const byName = new Map(artifacts.model.weightsManifest.flatMap((g) => g.weights.map((w) => [w.name, w] as const)));
  const trained = new Map<string, TrainedWeight>();
  for (const w of weights) {
    const spec = specFor(w.name, byName);
    if (!spec) throw new ExportError('EXPORT_INVALID', `The backbone has no weight "${w.name}" that the run trained.`);
    if (spec.dtype !== 'float32')
      throw new ExportError(
        'EXPORT_INVALID',
        `Weight "${spec.name}" is ${spec.dtype}; only float weights are trained.`,
      );
    if (spec.shape.join() !== w.shape.join() || w.data.length !== w.shape.reduce((a, b) => a * b, 1)) {
      throw new ExportError(
        'EXPORT_INVALID',
        `The trained weight "${w.name}" has shape [${w.shape.join(', ')}] (${w.data.length} values); the backbone's "${spec.name}" has [${spec.shape.join(', ')}].`,
      );
    }
    if (trained.has(spec.name))
      throw new ExportError('EXPORT_INVALID', `Weight "${spec.name}" was given twice among the trained weights.`);
    trained.set(spec.name, w);
  }
  const groups = artifacts.model.weightsManifest.map((group, gi) => {
    const source = artifacts.groupData[gi];
    const parts: Uint8Array[] = [];
    const specs: WeightSpec[] = [];
    let offset = 0;
    for (const spec of group.weights) {
      const size = spec.shape.reduce((a, b) => a * b, 1) * bytesPerValue(spec);
      const w = trained.get(spec.name);
      if (w) {
        parts.push(new Uint8Array(Float32Array.from(w.data).buffer));
        specs.push({ name: spec.name, shape: spec.shape, dtype: 'float32' });
      } else {
        parts.push(source.subarray(offset, offset + size));
        specs.push(spec);
      }
      offset += size;
    }
    return { weights: { paths: group.paths, weights: specs }, data: concatBytes(parts) };
  });
  return {
    model: { ...artifacts.model, weightsManifest: groups.map((g) => g.weights) },
    groupData: groups.map((g) => g.data),
  };
}
