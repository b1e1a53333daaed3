// One argument schema per contract call, checked at the transport boundary (host HTTP and
// Electron IPC alike) before anything reaches a service. Built with zod 4; the type check at
// the bottom proves each schema accepts exactly its call's argument type from contract.ts.
//
// Adding a call: add its schema here next to its entry in `Calls`; the compile-time check and
// contract-schemas.test.ts fail until it exists and agrees with the contract.

import { z } from 'zod';
import { ADAPTATION_METHODS } from './adaptation';
import { type CallArgs, type CallName, MAX_CLASS_LEVEL } from './contract';
import { GraftError } from './errors';

/** Longest accepted name of a project, class, experiment, backbone or uploaded photo (characters). */
export const MAX_NAME_CHARS = 200;
/** Longest accepted file or folder name: the common file-system limit for one path component. */
export const MAX_FILE_NAME_CHARS = 255;
/** Longest accepted free text (an experiment's note, a backbone's licence). */
export const MAX_NOTE_CHARS = 5_000;
/** Longest accepted typed folder path (Linux's PATH_MAX). */
export const MAX_PATH_CHARS = 4_096;
/** Longest accepted opaque token (picker id, location token) or tensor name. */
export const MAX_TOKEN_CHARS = 1_000;
/** Most ids in one call: well above the 20,000-photo projects the grid is built for. */
export const MAX_IDS = 100_000;
/** Most photos in one predict:photos call; the service refuses more with its own message. */
export const MAX_UPLOAD_PHOTOS = 200;
/** Largest base64 text of one uploaded photo: 40 MiB of characters, i.e. a 30 MiB file. */
export const MAX_PHOTO_BASE64_CHARS = 40 * 1024 * 1024;

/** Text without NUL (which file systems and SQLite's C strings cut at) and at most `max` characters. */
function text(max: number) {
  return z
    .string()
    .max(max, { error: `must be at most ${max} characters` })
    .refine((s) => !s.includes('\0'), { error: 'must not contain a NUL character' });
}

const name = text(MAX_NAME_CHARS);
const fileName = text(MAX_FILE_NAME_CHARS);
const token = text(MAX_TOKEN_CHARS);
const id = z.number().int().positive();
const ids = z.array(id).max(MAX_IDS);
const seed = z.number().int();
const topK = z.number().int().min(1).max(1_000).optional();
const split = z.enum(['train', 'val', 'test']);
const empty = z.object({});
const byProject = z.object({ projectId: id });
const byExperiment = z.object({ experimentId: id });
const byJob = z.object({ jobId: id });
const byFolder = z.object({ folderId: id });
const byPicker = z.object({ pickerId: token });
const classLevel = z.number().int().min(1).max(MAX_CLASS_LEVEL).optional();

const domain = z.enum(['source', 'target']);

const imageFilter = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all'), split: split.optional(), domain: domain.optional() }),
  z.object({ kind: z.literal('unlabelled'), split: split.optional(), domain: domain.optional() }),
  z.object({ kind: z.literal('class'), classId: id, split: split.optional(), domain: domain.optional() }),
  z.object({ kind: z.literal('problems') }),
]);

const ratio = z.number().min(0).max(1);
const splitRatios = z.object({ train: ratio, val: ratio, test: ratio });

/** Every training setting, each optional; unknown settings are refused by name. Ranges as checkHeadConfig. */
const trainConfig = z
  .strictObject({
    backboneId: token,
    technique: z.enum(['feature-extraction', 'fine-tune']),
    seed,
    hiddenUnits: z.number().int().min(0).max(16_384),
    dropout: z.number().min(0).lt(1),
    l2: z.number().min(0).max(1_000),
    labelSmoothing: z.number().min(0).lt(1),
    classWeighting: z.boolean(),
    learningRate: z.number().min(0).max(1_000),
    schedule: z.enum(['constant', 'cosine', 'plateau']),
    maxEpochs: z.number().int().min(1).max(100_000),
    batchSize: z.number().int().min(1).max(1_000_000),
    patience: z.number().int().min(1).max(100_000),
    augmentFlip: z.boolean(),
    flipTestTime: z.boolean(),
    unfreezeBlocks: z.number().int().min(1).max(64),
    blockLearningRate: z.number().min(0).max(1_000),
    fineTuneHeadLearningRate: z.number().min(0).max(1_000),
    fineTuneEpochs: z.number().int().min(1).max(100_000),
  })
  .partial();

const predictModel = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('experiment'), experimentId: id }),
  z.object({ kind: z.literal('export'), exportId: id }),
]);

export const CALL_SCHEMAS = {
  'app:info': empty,

  'projects:list': empty,
  'projects:create': z.object({ name }),
  'projects:rename': z.object({ projectId: id, name }),
  'projects:delete': byProject,
  'projects:open': byProject,
  'projects:last': empty,

  'folders:list': byProject,
  'folders:pick': z.object({ projectId: id, labelsFromSubfolders: z.boolean() }),
  'folders:remove': byFolder,
  'folders:add': z.object({ projectId: id, location: token, labelsFromSubfolders: z.boolean(), classLevel }),
  'picker:enter': z.object({ pickerId: token, name: fileName }),
  'picker:up': byPicker,
  'picker:go': z.object({ pickerId: token, path: text(MAX_PATH_CHARS) }),
  'picker:home': byPicker,
  'picker:newFolder': z.object({ pickerId: token, name: fileName }),
  'picker:choose': byPicker,
  'picker:cancel': byPicker,

  'import:start': byFolder,
  'import:cancel': byJob,
  'import:last': byFolder,
  'import:preview': z.object({ location: token, classLevel }),

  'images:list': z.object({ projectId: id, filter: imageFilter }),
  'images:get': z.object({ imageId: id }),
  'images:problems': byProject,
  'images:duplicates': byProject,

  'classes:list': byProject,
  'classes:create': z.object({ projectId: id, name, colour: token.optional() }),
  'classes:update': z.object({
    classId: id,
    name: name.optional(),
    colour: token.optional(),
    shortcut: token.nullable().optional(),
  }),
  'classes:reorder': z.object({ projectId: id, classIds: ids }),
  'classes:merge': z.object({ sourceId: id, targetId: id }),
  'classes:delete': z.object({ classId: id }),

  'labels:assign': z.object({ projectId: id, imageIds: ids, classId: id.nullable() }),
  'labels:undo': byProject,
  'labels:redo': byProject,
  'labels:history': byProject,
  'labels:conflicts': byProject,
  'labels:resolveConflict': z.object({ conflictId: id, classId: id.nullable() }),

  'splits:generate': z.object({ projectId: id, seed, ratios: splitRatios, replaceAll: z.boolean().optional() }),
  'splits:carveTest': z.object({ projectId: id, seed, fraction: ratio }),
  'splits:set': z.object({ projectId: id, imageIds: ids, split }),
  'splits:summary': byProject,

  'backbones:list': empty,
  'backbones:compare': z.object({ projectId: id, backboneIds: z.array(token).min(1).max(1_000).optional() }),
  'backbones:compareCancel': byJob,
  'backbones:lastComparison': byProject,
  'backbones:import': z.object({
    location: token,
    fileName: fileName.optional(),
    name: name.optional(),
    tap: token.optional(),
    normalisation: z.enum(['imagenet', 'unit', 'symmetric', 'raw']).optional(),
    licence: text(MAX_NOTE_CHARS).optional(),
  }),
  'training:preflight': z.object({ projectId: id, config: trainConfig.optional() }),
  'training:start': z.object({ projectId: id, config: trainConfig.optional() }),
  'training:cancel': byExperiment,

  'experiments:list': byProject,
  'experiments:get': byExperiment,
  'experiments:rename': z.object({ experimentId: id, name }),
  'experiments:annotate': z.object({ experimentId: id, note: text(MAX_NOTE_CHARS) }),
  'experiments:delete': byExperiment,
  'experiments:compare': z.object({ a: id, b: id }),
  'experiments:predictions': z.object({
    experimentId: id,
    split: split.optional(),
    trueClassId: id.optional(),
    predictedClassId: id.optional(),
  }),
  'experiments:mistakes': z.object({
    experimentId: id,
    split: split.optional(),
    limit: z.number().int().min(1).max(MAX_IDS).optional(),
  }),
  'domains:counts': byProject,
  'domains:setFolder': z.object({ folderId: id, domain }),
  // Strict like training settings: a misspelt method or seed is refused by name, never silently the default.
  'adaptation:start': z.strictObject({
    experimentId: id,
    method: z.enum(ADAPTATION_METHODS).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
  }),
  'adaptation:cancel': byExperiment,
  'adaptation:report': byExperiment,

  'locations:pick': empty,

  'exports:support': byExperiment,
  'exports:start': z.object({
    experimentId: id,
    format: z.enum(['onnx', 'tfjs']),
    location: token,
    folderName: fileName,
    rawInput: z.boolean(),
    overwrite: z.boolean(),
  }),
  'exports:list': byExperiment,

  'predict:photos': z.object({
    model: predictModel,
    photos: z
      .array(
        z.object({
          name,
          dataBase64: z
            .base64({ error: 'must be the photo’s bytes in base64' })
            .max(MAX_PHOTO_BASE64_CHARS, { error: 'is a photo larger than 30 MiB; predict its folder instead' }),
        }),
      )
      .min(1)
      .max(MAX_UPLOAD_PHOTOS),
    topK,
  }),
  'predict:images': z.object({ model: predictModel, imageIds: ids, topK }),
  'predict:batchStart': z.object({ model: predictModel, source: token, destination: token, topK }),
  'predict:batchCancel': byJob,
  'suggestions:compute': z.object({ experimentId: id }),
  'suggestions:cancel': byJob,
  'suggestions:list': z.object({ projectId: id }),
  'suggestions:accept': z.object({ projectId: id, imageIds: ids }),

  'health:report': z.object({ projectId: id, backboneId: token.optional() }),
  'health:check': z.object({ projectId: id, backboneId: token.optional() }),
  'health:cancel': byJob,
  'health:keep': z.object({ projectId: id, findingKey: token }),
  'health:exclude': z.object({ projectId: id, imageIds: ids, excluded: z.boolean() }),
  'dataset:export': z.object({ projectId: id, location: token, folderName: fileName }),
} satisfies { [K in CallName]: z.ZodType };

type Schemas = typeof CALL_SCHEMAS;
/** True when the schema accepts every value of the call's argument type and yields only such values. */
type Agrees<K extends CallName> = [CallArgs<K>] extends [z.input<Schemas[K]>]
  ? [z.output<Schemas[K]>] extends [CallArgs<K>]
    ? true
    : false
  : false;
type Disagreeing = { [K in CallName]: Agrees<K> extends true ? never : K }[CallName];
const everySchemaAgrees: [Disagreeing] extends [never] ? true : { disagreeing: Disagreeing } = true;
void everySchemaAgrees;

/** "photos.0.name: must be at most 200 characters; projectId: expected number" — what a person can fix. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/**
 * The arguments of call `name` checked against its schema: a fresh object holding only the
 * contract's fields (unknown keys, `__proto__` included, are dropped). Throws GraftError
 * BAD_REQUEST naming each wrong field; `name` must be a contract call.
 */
export function parseCallArgs<N extends CallName>(name: N, args: unknown): CallArgs<N> {
  const result = (CALL_SCHEMAS[name] as z.ZodType).safeParse(args);
  if (!result.success) {
    throw new GraftError('BAD_REQUEST', `Wrong arguments for “${name}”: ${describeIssues(result.error)}.`);
  }
  return result.data as CallArgs<N>;
}
