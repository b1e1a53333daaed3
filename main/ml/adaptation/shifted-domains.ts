// Seeded generated embeddings with a known domain shift, for tests: classes are Gaussian clusters;
// the target domain is the same clusters pushed through x·A + b (A a random symmetric positive
// definite mixing matrix or a per-dimension scale; b a random offset), with its own class mix.
import { seededRandom } from '../../../common/seeded-random';
import type { FeatureRows } from './feature-alignment';

export interface ShiftedDomains {
  classCount: number;
  source: FeatureRows & { y: Int32Array };
  sourceVal: FeatureRows & { y: Int32Array };
  target: FeatureRows & { y: Int32Array };
}

export function shiftedDomains(options: {
  dim: number;
  classCount: number;
  perClass: number;
  /** Target photos per class (defaults to perClass). */
  targetPerClass?: number[];
  shift: 'diagonal' | 'mixing';
  seed: number;
}): ShiftedDomains {
  const { dim, classCount, perClass } = options;
  const random = seededRandom(options.seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: classCount }, () => Array.from({ length: dim }, () => 1.5 * gaussian()));
  // A mixing shift is symmetric positive definite (2·B·Bᵀ/dim + 0.1·I), the kind a covariance
  // match can undo; a rotation it cannot (CORAL fixes second moments, not orientation).
  const b = Array.from({ length: dim }, () => Array.from({ length: dim }, gaussian));
  const mixing = Array.from({ length: dim }, (_, i) =>
    Array.from({ length: dim }, (_, j) => {
      if (options.shift === 'diagonal') return i === j ? 0.2 + 2.8 * random() : 0;
      let s = i === j ? 0.1 : 0;
      for (let k = 0; k < dim; k++) s += (2 * b[i][k] * b[j][k]) / dim;
      return s;
    }),
  );
  const offset = Array.from({ length: dim }, () => 3 * gaussian());
  const sample = (counts: number[], shifted: boolean) => {
    const y = Int32Array.from(counts.flatMap((count, c) => new Array<number>(count).fill(c)));
    const x = new Float32Array(y.length * dim);
    y.forEach((c, i) => {
      const v = centres[c].map((m) => m + gaussian());
      for (let k = 0; k < dim; k++) {
        let out = v[k];
        if (shifted) {
          out = offset[k];
          for (let j = 0; j < dim; j++) out += v[j] * mixing[j][k];
        }
        x[i * dim + k] = out;
      }
    });
    return { x, dim, y };
  };
  const even = new Array<number>(classCount).fill(perClass);
  return {
    classCount,
    source: sample(even, false),
    sourceVal: sample(even, false),
    target: sample(options.targetPerClass ?? even, true),
  };
}
