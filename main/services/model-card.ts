import type { AdaptationReport } from '../../common/adaptation';
import type { ExperimentDetail, ExportFormat, FinalMetrics, ParityResult } from '../../common/training';
import { OOD_FILE } from '../ml/adaptation/ood-artefact';
import type { OodStatistics } from '../ml/adaptation/out-of-distribution';
import type { BackboneSpec } from '../ml/backbones/backbone-spec';
import { APP_VERSION } from '../version';

export interface ModelCardInput {
  run: ExperimentDetail;
  backbone: BackboneSpec;
  format: ExportFormat;
  modelFile: string;
  rawInput: boolean;
  parity: ParityResult | null;
  date: string;
  /** The run's out-of-distribution statistics, written beside the model as ood.json; null when the run keeps none. */
  ood: Pick<OodStatistics, 'threshold' | 'percentile' | 'dim'> | null;
  /** The adaptation that made this run (its adaptation.json); null for a run trained on labelled photos. */
  adaptation: Pick<AdaptationReport, 'sourceExperimentId' | 'method' | 'targetSnapshot' | 'before' | 'after'> | null;
  /** An adapted run's project's new-domain (target) folder paths when exported; empty for other runs. */
  targetFolders: string[];
}

/** An adapted run's origin and new-domain figures, as a Model bullet; empty for other runs. */
function adaptationText(a: ModelCardInput['adaptation']): string[] {
  if (!a) return [];
  const test =
    a.before.targetTest && a.after.targetTest
      ? `; accuracy on the labelled new-domain photos ${pct(a.before.targetTest.accuracy)} before, ${pct(a.after.targetTest.accuracy)} after`
      : '';
  return [
    `- Adapted from experiment ${a.sourceExperimentId} to ${a.targetSnapshot.count} unlabelled new-domain photos (method \`${a.method}\`; ${a.targetSnapshot.labelled} of them labelled, used only to measure, never to train)${test}.`,
  ];
}

function pct(v: number | undefined | null): string {
  return v === undefined || v === null ? '—' : `${(v * 100).toFixed(1)}%`;
}

function normalisationText(spec: BackboneSpec): string {
  const n = spec.normalisation;
  return n.kind === 'range'
    ? `pixel values mapped linearly from 0–255 to ${n.min}–${n.max}`
    : `(pixel × ${n.scale.toPrecision(6)} − mean) / std with mean [${n.mean.join(', ')}] and std [${n.std.join(', ')}]`;
}

/** The 20-line script in the card: onnxruntime-node, sharp, and nothing from Graft. */
function onnxScript(input: ModelCardInput): string {
  const { backbone: spec, rawInput, modelFile } = input;
  const short = spec.resize.shortSide;
  const crop = spec.inputSize;
  const normalise = rawInput
    ? 'const input = Float32Array.from(data); // raw 0-255 RGB, NHWC: the graph normalises'
    : spec.layout === 'NCHW'
      ? `const input = new Float32Array(3 * ${crop * crop});\nfor (let p = 0; p < ${crop * crop}; p++) for (let c = 0; c < 3; c++) input[c * ${crop * crop} + p] = norm(data[p * 3 + c], c);`
      : 'const input = Float32Array.from(data, (v, i) => norm(v, i % 3));';
  const affine =
    spec.normalisation.kind === 'range'
      ? `const norm = (v) => ${spec.normalisation.min} + (v / 255) * ${spec.normalisation.max - spec.normalisation.min};`
      : `const mean = [${spec.normalisation.mean.join(', ')}], std = [${spec.normalisation.std.join(', ')}];\nconst norm = (v, c) => (v * ${spec.normalisation.scale} - mean[c]) / std[c];`;
  const dims = rawInput
    ? `[1, ${crop}, ${crop}, 3]`
    : spec.layout === 'NCHW'
      ? `[1, 3, ${crop}, ${crop}]`
      : `[1, ${crop}, ${crop}, 3]`;
  return [
    "const ort = require('onnxruntime-node');",
    "const sharp = require('sharp');",
    "const labels = require('./labels.json');",
    affine,
    'async function classify(photo) {',
    `  const { data } = await sharp(photo).rotate().resize(${short}, ${short}, { fit: 'cover' })`,
    `    .extract({ left: ${Math.floor((short - crop) / 2)}, top: ${Math.floor((short - crop) / 2)}, width: ${crop}, height: ${crop} })`,
    "    .flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });",
    `  ${normalise.replace(/\n/g, '\n  ')}`,
    `  const session = await ort.InferenceSession.create('${modelFile}');`,
    `  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, ${dims}) };`,
    '  const { probabilities } = await session.run(feeds);',
    '  const p = Array.from(probabilities.data);',
    '  const best = p.indexOf(Math.max(...p));',
    '  return { label: labels[best], confidence: p[best] };',
    '}',
    'classify(process.argv[2]).then((r) => console.log(r.label, r.confidence.toFixed(3)));',
  ].join('\n');
}

/** What a fine-tuning run changed in the backbone, as a clause after the head's description. */
function fineTuneText(f: FinalMetrics['fineTune']): string {
  if (!f) return '';
  const blocks = `blocks ${f.unfrozenBlocks.join(', ')} (above \`${f.cutLayer}\`)`;
  return f.keptStage === 2
    ? `, then the backbone's ${blocks} retrained with it at a lower learning rate; the file holds the whole fine-tuned network`
    : `; retraining the backbone's ${blocks} did not lower the validation loss, so the backbone is unchanged`;
}

/**
 * Which photos the model is for: those like the training photos, or, for an adapted run, those like
 * the new-domain photos it was adapted to, with its (often lower) training-domain validation score as a caution.
 */
function intendedUse(input: ModelCardInput): string {
  const classes = input.run.snapshot.classes.map((c) => c.name).join(', ');
  const rest = `It knows no other classes: every photo gets one of them, however unlike it is.`;
  const a = input.adaptation;
  if (!a) {
    return `Sorting photos like the training photos into: ${classes}. ${rest} Accuracy on photos from another camera, place or season may be lower than above; check a sample before relying on it. Not for decisions about people.`;
  }
  const folders = input.targetFolders.length > 0 ? ` (${input.targetFolders.map((f) => `\`${f}\``).join(', ')})` : '';
  const newDomain = a.after.targetTest
    ? `${pct(a.after.targetTest.accuracy)} on the labelled new-domain photos`
    : 'not measured on labelled new-domain photos';
  return `Sorting photos like the new-domain (target) photos it was adapted to${folders} into: ${classes}. ${rest} Caution: on photos like the training photos it scored ${pct(a.after.sourceVal?.accuracy)} (validation), against ${newDomain}; for photos like the training photos use the source run (experiment ${a.sourceExperimentId}). Check a sample before relying on it. Not for decisions about people.`;
}

export function modelCard(input: ModelCardInput): string {
  const { run, backbone, parity } = input;
  const m = run.metrics;
  const classes = run.snapshot.classes;
  const confusion = m?.val?.confusion ?? [];
  const lines = [
    `# ${run.name} — image classifier`,
    '',
    `Exported by Graft ${APP_VERSION} on ${input.date} from experiment ${run.id} (${input.format === 'onnx' ? 'ONNX' : 'TF.js LayersModel'}: \`${input.modelFile}\`).`,
    '',
    '## Model',
    `- Backbone: ${backbone.name} (\`${backbone.id}\`)${m?.fineTune ? '' : ', frozen'}; feature: ${backbone.taps.map((t) => t.node).join(' + ')} (${backbone.featureDim}-d, L2-normalised).`,
    `- Backbone licence: ${backbone.licence}`,
    `- Technique: ${run.technique} — a new classification head (${run.config.hiddenUnits > 0 ? `${run.config.hiddenUnits}-unit hidden layer` : 'linear softmax'}) trained on the frozen features${fineTuneText(m?.fineTune)}.`,
    `- Input: RGB photo, EXIF-oriented, short side resized to ${backbone.resize.shortSide} px, centre-cropped to ${backbone.inputSize}×${backbone.inputSize}; ${input.rawInput ? 'the graph takes raw 0–255 values as float32 NHWC [N, H, W, 3] and normalises them itself' : `${backbone.layout} float32, ${normalisationText(backbone)}`}.`,
    ...adaptationText(input.adaptation),
    `- Output: \`probabilities\` [N, ${classes.length}] in the order of \`labels.json\`.`,
    run.config.flipTestTime
      ? '- Test-time averaging: the model mirrors each photo left-right itself and gives the mean of the two views’ probabilities, as Graft does for this run; give it each photo once.'
      : '- One view per photo: this run does not average a photo with its mirror image, and neither does the file.',
    '',
    '## Training data',
    `Dataset hash \`${run.snapshot.hash}\` (${run.snapshot.imageCount} labelled photos).`,
    '',
    '| class | train | val | test |',
    '|---|---:|---:|---:|',
    ...classes.map((c) => `| ${c.name} | ${c.counts.train} | ${c.counts.val} | ${c.counts.test} |`),
    '',
    '## Metrics',
    `Validation accuracy ${pct(m?.val?.accuracy)}, macro-F1 ${m?.val?.macroF1.toFixed(3) ?? '—'}; test accuracy ${pct(m?.test?.accuracy)}. Best epoch ${m?.bestEpoch ?? '—'}.`,
    '',
    'Validation confusion matrix (rows: true class, columns: predicted):',
    '',
    `| | ${classes.map((c) => c.name).join(' | ')} |`,
    `|---|${classes.map(() => '---:').join('|')}|`,
    ...confusion.map((row, i) => `| ${classes[i]?.name ?? i} | ${row.join(' | ')} |`),
    '',
    '## Parity with the app',
    parity
      ? `Checked after writing against what Graft’s Predict view shows for the same photos: ${parity.photos} validation photos, top-1 agreement ${pct(parity.agreement)}, largest probability difference ${parity.maxProbabilityDifference.toExponential(2)} — ${parity.passed ? 'passed' : 'FAILED'}.`
      : 'Not checked.',
    '',
    '## Photos unlike the training photos',
    input.ood
      ? `\`${OOD_FILE}\` holds what Graft uses to warn that a photo is unlike the training photos: \`classMeans\` (one per class, in the order of \`labels.json\`; an adapted run's list goes on with one per class its model predicts among the new-domain photos it was adapted to) and \`variance\` (pooled within-class, per dimension) of the backbone's ${input.ood.dim}-d L2-normalised feature. A photo's score is min over those means of Σ (x − mean)² / variance, divided by ${input.ood.dim}; above \`threshold\` (${input.ood.threshold.toFixed(3)}, the ${input.ood.percentile}th percentile of the validation photos' scores) it is unlike the training photos. The model file outputs probabilities only, so the check needs the backbone's feature for the photo.`
      : 'This run keeps no statistics for telling photos unlike the training photos apart (it predates them), so no ood.json is included.',
    '',
    '## Intended use',
    intendedUse(input),
  ];
  if (input.format === 'onnx') {
    lines.push('', '## Run it (Node.js, `npm install onnxruntime-node sharp`)', '', '```js', onnxScript(input), '```');
  }
  return `${lines.join('\n')}\n`;
}
