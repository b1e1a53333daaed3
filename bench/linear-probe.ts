// A small deterministic multinomial logistic regression, enough to compare frozen features.
// Not Graft's head trainer: full-batch Adam from zero weights, fixed steps, L2 penalty.

export interface ProbeOptions {
  steps?: number;
  learningRate?: number;
  l2?: number;
}

export interface LinearProbe {
  weights: Float32Array;
  bias: Float32Array;
  dim: number;
  classes: number;
}

export function trainLinearProbe(
  features: Float32Array[],
  labels: number[],
  classes: number,
  options: ProbeOptions = {},
): LinearProbe {
  const steps = options.steps ?? 400;
  const lr = options.learningRate ?? 0.05;
  const l2 = options.l2 ?? 1e-4;
  const n = features.length;
  const dim = features[0].length;
  const w = new Float32Array(dim * classes);
  const b = new Float32Array(classes);
  const gw = new Float32Array(w.length);
  const gb = new Float32Array(classes);
  const mw = new Float32Array(w.length);
  const vw = new Float32Array(w.length);
  const mb = new Float32Array(classes);
  const vb = new Float32Array(classes);
  const p = new Float32Array(classes);
  const beta1 = 0.9;
  const beta2 = 0.999;
  for (let step = 1; step <= steps; step++) {
    gw.fill(0);
    gb.fill(0);
    for (let i = 0; i < n; i++) {
      softmaxInto(features[i], w, b, dim, classes, p);
      p[labels[i]] -= 1;
      const x = features[i];
      for (let c = 0; c < classes; c++) {
        const g = p[c] / n;
        gb[c] += g;
        const row = c * dim;
        for (let d = 0; d < dim; d++) gw[row + d] += g * x[d];
      }
    }
    const c1 = 1 - beta1 ** step;
    const c2 = 1 - beta2 ** step;
    for (let k = 0; k < w.length; k++) {
      const g = gw[k] + l2 * w[k];
      mw[k] = beta1 * mw[k] + (1 - beta1) * g;
      vw[k] = beta2 * vw[k] + (1 - beta2) * g * g;
      w[k] -= (lr * (mw[k] / c1)) / (Math.sqrt(vw[k] / c2) + 1e-8);
    }
    for (let c = 0; c < classes; c++) {
      mb[c] = beta1 * mb[c] + (1 - beta1) * gb[c];
      vb[c] = beta2 * vb[c] + (1 - beta2) * gb[c] * gb[c];
      b[c] -= (lr * (mb[c] / c1)) / (Math.sqrt(vb[c] / c2) + 1e-8);
    }
  }
  return { weights: w, bias: b, dim, classes };
}

function softmaxInto(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array,
  dim: number,
  classes: number,
  out: Float32Array,
): void {
  let max = -Infinity;
  for (let c = 0; c < classes; c++) {
    let s = b[c];
    const row = c * dim;
    for (let d = 0; d < dim; d++) s += w[row + d] * x[d];
    out[c] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    out[c] = Math.exp(out[c] - max);
    sum += out[c];
  }
  for (let c = 0; c < classes; c++) out[c] /= sum;
}

export function predict(probe: LinearProbe, x: Float32Array): number {
  const p = new Float32Array(probe.classes);
  softmaxInto(x, probe.weights, probe.bias, probe.dim, probe.classes, p);
  let best = 0;
  for (let c = 1; c < probe.classes; c++) if (p[c] > p[best]) best = c;
  return best;
}

export function accuracy(probe: LinearProbe, features: Float32Array[], labels: number[]): number {
  let right = 0;
  features.forEach((x, i) => {
    if (predict(probe, x) === labels[i]) right += 1;
  });
  return right / features.length;
}
