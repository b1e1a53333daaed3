// The single typed contract between the renderer and the main-side services.
// Every call and every pushed event that crosses a transport (Electron IPC or the
// headless host's HTTP + SSE) is named here; nothing else crosses.

import type { AdaptationMethod, AdaptationProgress, AdaptationReport, Domain, DomainCount } from './adaptation';
import type { BackboneCompareFinished, BackboneCompareProgress, BackboneComparison } from './backbone-compare';
import type { DatasetExportSummary, HealthFinished, HealthProgress, HealthReport } from './health';
import type { LabelSuggestion, SuggestionsFinished, SuggestionsProgress } from './suggestions';
import type {
  BackboneImportResult,
  BackboneInfo,
  EpochMetrics,
  ExperimentComparison,
  ExperimentDetail,
  ExperimentStatus,
  ExperimentSummary,
  ExportFormat,
  ExportRecord,
  ExportSupport,
  NormalisationPreset,
  Prediction,
  PredictionResult,
  TrainConfig,
  TrainingPreflight,
  TrainingProgress,
} from './training';

export type Id = number;

export type ImageStatus = 'ok' | 'unreadable' | 'missing' | 'duplicate';
export type Split = 'train' | 'val' | 'test';
export type LabelOrigin = 'user' | 'folder-name' | 'suggested';

export interface AppInfo {
  version: string;
  transport: 'electron' | 'host';
  dataDir: string;
  schemaVersion: number;
  /**
   * Set when Graft started on a full disk: the data opened read-only (changes fail with DISK_FULL
   * until space is freed and Graft restarted). The renderer shows `message` as a banner.
   */
  readOnly: { code: 'DISK_FULL'; message: string } | null;
}

export interface ProjectSummary {
  id: Id;
  name: string;
  createdAt: string;
  lastOpenedAt: string | null;
  imageCount: number;
  labelledCount: number;
  problemCount: number;
}

export interface SourceFolder {
  id: Id;
  projectId: Id;
  path: string;
  labelsFromSubfolders: boolean;
  lastScannedAt: string | null;
  present: boolean;
}

export interface ClassInfo {
  id: Id;
  projectId: Id;
  name: string;
  colour: string;
  shortcut: string | null;
  order: number;
  count: number;
  /** Of `count`, the photos in new-domain folders: their labels only measure, never train (absent from older hosts). */
  newDomainCount?: number;
}

/** One photo as the grid needs it: small, so 20,000 of them travel in one answer. */
export interface ImageRow {
  id: Id;
  name: string;
  status: ImageStatus;
  classId: Id | null;
  split: Split | null;
  /** A new-domain (target) photo, issue 8: it never carries a split and never trains a model. */
  newDomain: boolean;
}

export interface ImageDetail extends ImageRow {
  folderId: Id;
  relPath: string;
  width: number | null;
  height: number | null;
  sizeBytes: number;
  contentHash: string | null;
  errorCode: string | null;
  error: string | null;
  labelOrigin: LabelOrigin | null;
  labelledAt: string | null;
  /** Left out of training by a person (`health:exclude`). */
  excluded: boolean;
}

export interface ImageProblem {
  id: Id;
  relPath: string;
  status: ImageStatus;
  errorCode: string | null;
  error: string | null;
}

/**
 * Which photos the grid shows: readable photos by label (all, unlabelled, one class), optionally
 * narrowed to one split and to one domain (training photos or new-domain photos, issue 8); or the
 * problem files (unreadable, missing), which have neither.
 */
export type ImageFilter =
  | { kind: 'all'; split?: Split; domain?: Domain }
  | { kind: 'unlabelled'; split?: Split; domain?: Domain }
  | { kind: 'class'; classId: Id; split?: Split; domain?: Domain }
  | { kind: 'problems' };

export interface FolderEntry {
  name: string;
  /**
   * Photos in the folder and every folder below it (regular files with a photo ending, as the
   * import finds them); null where the folder cannot be read or was not counted.
   */
  imageCount: number | null;
  /** False when counting stopped early (at the count limit or the time cap): show “N+”. */
  imageCountComplete: boolean;
}

/** What the host's folder picker shows: the renderer reads paths, it never sends one. */
export interface PickerView {
  pickerId: string;
  path: string;
  canGoUp: boolean;
  folders: FolderEntry[];
  /** Photos in this folder and below it: its own plus its sub-folders' counts. */
  imagesHere: number;
  /** False when a sub-folder's count stopped early or was not made: show “N+”. */
  imagesHereComplete: boolean;
  /** Folders chosen before in the picker that still exist, most recent first (absolute paths). */
  recent: string[];
}

/**
 * `chosen`: a photo folder added to a project. `location`: a folder chosen for output or for
 * predicting, named by a token that main maps to its path (the renderer never sends a path).
 */
export type PickResult =
  | { status: 'chosen'; folder: SourceFolder }
  | { status: 'location'; token: string; path: string }
  | { status: 'cancelled' }
  | { status: 'browse'; view: PickerView };

export type PredictModel = { kind: 'experiment'; experimentId: Id } | { kind: 'export'; exportId: Id };

export interface BatchPredictProgress {
  jobId: Id;
  done: number;
  total: number;
  photosPerSecond: number;
  etaSeconds: number | null;
}

export interface BatchPredictSummary {
  jobId: Id;
  status: 'finished' | 'cancelled' | 'failed';
  csvPath: string | null;
  predicted: number;
  unreadable: number;
  /** Predicted photos unlike the model's training photos (see PredictionResult.unlikeTraining); null or absent when the model keeps no statistics. */
  unlikeTraining?: number | null;
  error: string | null;
}

/** Why an entry below an imported folder was not read as a photo. */
export type SkipReason =
  | 'NOT_REGULAR_FILE'
  | 'LINK_LOOP'
  | 'DANGLING_LINK'
  | 'FOLDER_NAMED_LIKE_PHOTO'
  | 'UNSUPPORTED_EXTENSION'
  | 'FOLDER_UNREADABLE'
  | 'SYSTEM_FOLDER'
  | 'ALREADY_SCANNED'
  | 'PERMISSION_DENIED'
  | 'NAME_NOT_UTF8'
  | 'READ_FAILED';

/** One entry the import did not read as a photo; `relPath` uses '/' below the chosen folder. */
export interface SkippedEntry {
  relPath: string;
  code: SkipReason;
  message: string;
}

/** Deepest folder level an import can take classes from (see `import:preview`). */
export const MAX_CLASS_LEVEL = 8;

/**
 * What importing a chosen folder with labels from folder names would find, before anything is
 * imported. The class of a photo is the `classLevel`-th folder below the chosen one, split
 * folders (train, val, valid, validation, test, any case) not counted; the split comes from them.
 */
export interface ImportPreview {
  /** The chosen folder, for showing (never sent back). */
  path: string;
  photoCount: number;
  classLevel: number;
  /** Deepest class level any photo has: the levels worth offering are 1…maxLevel. */
  maxLevel: number;
  /** Another level that finds two or more classes where `classLevel` finds fewer; else null. */
  suggestedLevel: number | null;
  /** Name order; `samples` are the first photos, with a small JPEG data URL where it could be made. */
  classes: { name: string; count: number; samples: { relPath: string; thumbnail: string | null }[] }[];
  /** Photos in folders named like a split, by folder name as written. */
  splitFolders: { name: string; split: Split; count: number }[];
  /** Photos that would get no class (at the root, only in split folders, not deep enough). */
  unlabelled: { count: number; samples: string[] };
  /** Why photos would get no class, in words; null when every photo gets one. */
  note: string | null;
}

/** A photo whose content (SHA-256) another photo of the project already has. */
export interface DuplicatePhoto {
  imageId: Id;
  relPath: string;
  /** The photo it copies; null once that one left the project. */
  copyOf: { imageId: Id; relPath: string } | null;
}

/**
 * The same content found in folders of different classes. `imageId` is the photo kept in the
 * library; `copies` lists every file of it with the class its folder named. `open` (left out of
 * training) until the person chooses a class; `excluded` once they chose to leave it out.
 */
export interface LabelConflict {
  id: Id;
  status: 'open' | 'excluded';
  imageId: Id;
  copies: { imageId: Id; relPath: string; classId: Id; className: string }[];
}

export interface ImportSummary {
  jobId: Id;
  folderId: Id;
  status: 'finished' | 'cancelled' | 'failed';
  scanned: number;
  added: number;
  updated: number;
  unchanged: number;
  duplicates: number;
  unreadable: number;
  missing: number;
  labelled: number;
  /** Entries not read as photos, each with its reason: the first few hundred of `skippedTotal`. */
  skipped: SkippedEntry[];
  skippedTotal: number;
  /** Hidden files and folders (names starting with “.”): left out by design, only counted. */
  hidden: number;
  /** Why photos got no class from folder names (they sit at the root, only split folders…); null when all did. */
  labelNote: string | null;
  /** Copies found in a folder of another class than the photo they copy: label conflicts, see `labels:conflicts`. */
  conflicts: number;
  seconds: number;
  error: string | null;
}

export interface ImportProgress {
  jobId: Id;
  projectId: Id;
  folderId: Id;
  phase: 'scanning' | 'importing';
  done: number;
  total: number;
  unreadable: number;
  photosPerSecond: number;
  etaSeconds: number | null;
}

export interface LabelChangeResult {
  changed: number;
  canUndo: boolean;
  canRedo: boolean;
}

export interface SplitRatios {
  train: number;
  val: number;
  test: number;
}

export interface SplitCounts {
  train: number;
  val: number;
  test: number;
}

export interface SplitSummary {
  seed: number | null;
  ratios: SplitRatios | null;
  perClass: ({ classId: Id } & SplitCounts)[];
  /**
   * Where the labelled photos' splits came from: the split folder names of an import
   * (`train/cat/x.jpg`), a generated (seeded) split, or a person moving photos by hand.
   */
  sources: { folders: SplitCounts; generated: SplitCounts; byHand: SplitCounts };
  /** Labelled, readable photos that are in no split yet. */
  unassigned: number;
}

/**
 * Photos a move into a split left out, by reason: `NEW_DOMAIN` photos (issue 8) never carry a
 * split; `UNREADABLE` ones are unreadable, missing or not in the project.
 */
export interface SplitSkip {
  code: 'NEW_DOMAIN' | 'UNREADABLE';
  count: number;
  message: string;
}

/** The split summary after a move by hand, with the chosen photos it left out (empty when none). */
export interface SplitMoveResult extends SplitSummary {
  skipped: SplitSkip[];
}

/** One photo whose label changed: its class before and after (null: unlabelled). */
export interface LabelDelta {
  imageId: Id;
  from: Id | null;
  to: Id | null;
}

type Call<A, R> = { args: A; result: R };

export interface Calls {
  'app:info': Call<Record<string, never>, AppInfo>;

  'projects:list': Call<Record<string, never>, ProjectSummary[]>;
  'projects:create': Call<{ name: string }, ProjectSummary>;
  'projects:rename': Call<{ projectId: Id; name: string }, ProjectSummary>;
  'projects:delete': Call<{ projectId: Id }, { deleted: true }>;
  'projects:open': Call<{ projectId: Id }, ProjectSummary>;
  'projects:last': Call<Record<string, never>, ProjectSummary | null>;

  'folders:list': Call<{ projectId: Id }, SourceFolder[]>;
  'folders:pick': Call<{ projectId: Id; labelsFromSubfolders: boolean }, PickResult>;
  'folders:remove': Call<{ folderId: Id }, { removed: true }>;
  /** Adds the folder chosen with `locations:pick`; `classLevel` (1 by default) as `import:preview` showed. */
  'folders:add': Call<
    { projectId: Id; location: string; labelsFromSubfolders: boolean; classLevel?: number },
    SourceFolder
  >;
  'picker:enter': Call<{ pickerId: string; name: string }, PickerView>;
  'picker:up': Call<{ pickerId: string }, PickerView>;
  /** Opens a typed path (`~` is home, relative to the folder shown) if browsing could reach it; a non-folder is refused with what it is. */
  'picker:go': Call<{ pickerId: string; path: string }, PickerView>;
  'picker:home': Call<{ pickerId: string }, PickerView>;
  /** Makes a sub-folder of the folder shown and opens it: only when choosing where to save (`locations:pick`). */
  'picker:newFolder': Call<{ pickerId: string; name: string }, PickerView>;
  'picker:choose': Call<{ pickerId: string }, PickResult>;
  'picker:cancel': Call<{ pickerId: string }, { cancelled: true }>;

  'import:start': Call<{ folderId: Id }, { jobId: Id }>;
  'import:cancel': Call<{ jobId: Id }, { cancelling: boolean }>;
  'import:last': Call<{ folderId: Id }, ImportSummary | null>;
  /** The classes, splits and unlabelled photos a folder chosen with `locations:pick` would give. */
  'import:preview': Call<{ location: string; classLevel?: number }, ImportPreview>;

  'images:list': Call<{ projectId: Id; filter: ImageFilter }, ImageRow[]>;
  'images:get': Call<{ imageId: Id }, ImageDetail>;
  'images:problems': Call<{ projectId: Id }, ImageProblem[]>;
  'images:duplicates': Call<{ projectId: Id }, DuplicatePhoto[]>;

  'classes:list': Call<{ projectId: Id }, ClassInfo[]>;
  'classes:create': Call<{ projectId: Id; name: string; colour?: string }, ClassInfo>;
  'classes:update': Call<{ classId: Id; name?: string; colour?: string; shortcut?: string | null }, ClassInfo>;
  'classes:reorder': Call<{ projectId: Id; classIds: Id[] }, ClassInfo[]>;
  'classes:merge': Call<{ sourceId: Id; targetId: Id }, ClassInfo>;
  'classes:delete': Call<{ classId: Id }, { deleted: true; unlabelled: number }>;

  'labels:assign': Call<{ projectId: Id; imageIds: Id[]; classId: Id | null }, LabelChangeResult>;
  'labels:undo': Call<{ projectId: Id }, LabelChangeResult>;
  'labels:redo': Call<{ projectId: Id }, LabelChangeResult>;
  'labels:history': Call<{ projectId: Id }, LabelChangeResult>;
  'labels:conflicts': Call<{ projectId: Id }, LabelConflict[]>;
  /** Ends a conflict: `classId` labels the photo with that class; null leaves it out of training. */
  'labels:resolveConflict': Call<{ conflictId: Id; classId: Id | null }, LabelConflict[]>;

  /** `replaceAll`: also redistribute photos whose split came from folder names or a person's move. */
  'splits:generate': Call<{ projectId: Id; seed: number; ratios: SplitRatios; replaceAll?: boolean }, SplitSummary>;
  /** Moves a seeded, per-class `fraction` (0–1) of the train and val photos into test. */
  'splits:carveTest': Call<{ projectId: Id; seed: number; fraction: number }, SplitSummary>;
  'splits:set': Call<{ projectId: Id; imageIds: Id[]; split: Split }, SplitMoveResult>;
  'splits:summary': Call<{ projectId: Id }, SplitSummary>;

  'backbones:list': Call<Record<string, never>, BackboneInfo[]>;
  /**
   * Imports the backbone in a chosen folder: a TF.js model folder (model.json), or an ONNX file
   * in it (`fileName`, or the folder's only .onnx file). `tap` picks another tensor than proposed.
   */
  'backbones:import': Call<
    {
      location: string;
      fileName?: string;
      name?: string;
      tap?: string;
      normalisation?: NormalisationPreset;
      licence?: string;
    },
    BackboneImportResult
  >;
  /**
   * Compares backbones on the project's labelled photos (all of them when `backboneIds` is absent):
   * cross-validated linear-probe accuracy and embedding speed; `backbones:compareProgress`, then
   * `backbones:compareFinished`. TOO_FEW_PHOTOS below two classes or two photos in a class.
   */
  'backbones:compare': Call<{ projectId: Id; backboneIds?: string[] }, { jobId: Id }>;
  'backbones:compareCancel': Call<{ jobId: Id }, { cancelling: boolean }>;
  /** The project's most recent finished comparison, ranked, or null. */
  'backbones:lastComparison': Call<{ projectId: Id }, BackboneComparison | null>;
  'training:preflight': Call<{ projectId: Id; config?: Partial<TrainConfig> }, TrainingPreflight>;
  'training:start': Call<{ projectId: Id; config?: Partial<TrainConfig> }, { experimentId: Id }>;
  'training:cancel': Call<{ experimentId: Id }, { cancelling: boolean }>;

  'experiments:list': Call<{ projectId: Id }, ExperimentSummary[]>;
  'experiments:get': Call<{ experimentId: Id }, ExperimentDetail>;
  'experiments:rename': Call<{ experimentId: Id; name: string }, ExperimentSummary>;
  'experiments:annotate': Call<{ experimentId: Id; note: string }, ExperimentSummary>;
  'experiments:delete': Call<{ experimentId: Id }, { deleted: true }>;
  'experiments:compare': Call<{ a: Id; b: Id }, ExperimentComparison>;
  /** Held-out predictions; give both class ids to get the photos of one confusion-matrix cell. */
  'experiments:predictions': Call<
    { experimentId: Id; split?: Split; trueClassId?: Id; predictedClassId?: Id },
    Prediction[]
  >;
  /** The most confident wrong predictions, of one held-out split when `split` is given. */
  'experiments:mistakes': Call<{ experimentId: Id; split?: Split; limit?: number }, Prediction[]>;

  /** Photos per domain; a folder marked `target` holds new-domain photos that never train a model. */
  'domains:counts': Call<{ projectId: Id }, DomainCount[]>;
  'domains:setFolder': Call<{ folderId: Id; domain: Domain }, { domain: Domain }>;
  /** Adapts a finished run to the project's target photos as a new run linked to it. */
  'adaptation:start': Call<{ experimentId: Id; method?: AdaptationMethod; seed?: number }, { experimentId: Id }>;
  'adaptation:cancel': Call<{ experimentId: Id }, { cancelling: boolean }>;
  'adaptation:report': Call<{ experimentId: Id }, AdaptationReport>;

  /** A folder to write to or read from: Electron's native dialog, or the host's picker. */
  'locations:pick': Call<Record<string, never>, PickResult>;

  'exports:support': Call<{ experimentId: Id }, ExportSupport[]>;
  /** Writes the model into a new sub-folder `folderName` of the chosen location, then proves it. */
  'exports:start': Call<
    {
      experimentId: Id;
      format: ExportFormat;
      location: string;
      folderName: string;
      rawInput: boolean;
      overwrite: boolean;
    },
    { exportId: Id }
  >;
  'exports:list': Call<{ experimentId: Id }, ExportRecord[]>;

  /** Photos from outside the project, sent as bytes (a dropped or chosen file). */
  'predict:photos': Call<
    { model: PredictModel; photos: { name: string; dataBase64: string }[]; topK?: number },
    PredictionResult[]
  >;
  'predict:images': Call<{ model: PredictModel; imageIds: Id[]; topK?: number }, PredictionResult[]>;
  'predict:batchStart': Call<
    { model: PredictModel; source: string; destination: string; topK?: number },
    { jobId: Id }
  >;
  'predict:batchCancel': Call<{ jobId: Id }, { cancelling: boolean }>;

  /** Suggests a class for each unlabelled photo with a finished run's model (replacing earlier suggestions); `suggestions:progress`, then `suggestions:finished`. */
  'suggestions:compute': Call<{ experimentId: Id }, { jobId: Id }>;
  'suggestions:cancel': Call<{ jobId: Id }, { cancelling: boolean }>;
  /** The suggestions of photos that are still unlabelled. */
  'suggestions:list': Call<{ projectId: Id }, LabelSuggestion[]>;
  /** Each photo takes its suggested class as its label (origin `suggested`), one undoable action; photos labelled meanwhile are left alone. */
  'suggestions:accept': Call<{ projectId: Id; imageIds: Id[] }, LabelChangeResult>;

  /** Dataset health from cached hashes and embeddings (default backbone unless named). */
  'health:report': Call<{ projectId: Id; backboneId?: string }, HealthReport>;
  /** Computes the missing hashes and embeddings; `health:progress`, then `health:finished`. */
  'health:check': Call<{ projectId: Id; backboneId?: string }, { jobId: Id }>;
  'health:cancel': Call<{ jobId: Id }, { cancelling: boolean }>;
  /** Keep a finding and stop warning about it. */
  'health:keep': Call<{ projectId: Id; findingKey: string }, { kept: true }>;
  /** Leave photos out of training (`excluded: false` takes them back). */
  'health:exclude': Call<{ projectId: Id; imageIds: Id[]; excluded: boolean }, { changed: number }>;
  /** The labelled set as an ImageFolder tree `split/class/file` plus CSV and JSON manifests, in a new sub-folder. */
  'dataset:export': Call<{ projectId: Id; location: string; folderName: string }, DatasetExportSummary>;
}

export interface Events {
  'import:progress': ImportProgress;
  'import:finished': ImportSummary & { projectId: Id };
  /** `changes`: the photos a label action changed, when that is all that changed (else reload). */
  'labels:changed': { projectId: Id; changes?: LabelDelta[] };
  'classes:changed': { projectId: Id };
  'projects:changed': Record<string, never>;
  'training:progress': TrainingProgress;
  'training:epoch': { experimentId: Id; projectId: Id; epoch: EpochMetrics };
  'training:finished': { experimentId: Id; projectId: Id; status: ExperimentStatus; error: string | null };
  'export:finished': { exportId: Id; experimentId: Id; status: ExportRecord['status'] };
  'predict:progress': BatchPredictProgress;
  'predict:finished': BatchPredictSummary;
  'suggestions:progress': SuggestionsProgress;
  'suggestions:finished': SuggestionsFinished;
  'health:progress': HealthProgress;
  'health:finished': HealthFinished;
  'backbones:compareProgress': BackboneCompareProgress;
  'backbones:compareFinished': BackboneCompareFinished;
  'adaptation:progress': AdaptationProgress;
}

export type CallName = keyof Calls;
export type EventName = keyof Events;
export type CallArgs<N extends CallName> = Calls[N]['args'];
export type CallResult<N extends CallName> = Calls[N]['result'];

/**
 * The runtime list of call names. `satisfies` plus the exhaustiveness check below keep it
 * equal to `Calls`, so the contract test can prove both transports expose every call.
 */
export const CALL_NAMES = [
  'app:info',
  'projects:list',
  'projects:create',
  'projects:rename',
  'projects:delete',
  'projects:open',
  'projects:last',
  'folders:list',
  'folders:pick',
  'folders:remove',
  'folders:add',
  'picker:enter',
  'picker:up',
  'picker:go',
  'picker:home',
  'picker:newFolder',
  'picker:choose',
  'picker:cancel',
  'import:start',
  'import:cancel',
  'import:last',
  'import:preview',
  'images:list',
  'images:get',
  'images:problems',
  'images:duplicates',
  'classes:list',
  'classes:create',
  'classes:update',
  'classes:reorder',
  'classes:merge',
  'classes:delete',
  'labels:assign',
  'labels:undo',
  'labels:redo',
  'labels:history',
  'labels:conflicts',
  'labels:resolveConflict',
  'splits:generate',
  'splits:set',
  'splits:carveTest',
  'splits:summary',
  'backbones:list',
  'backbones:import',
  'backbones:compare',
  'backbones:compareCancel',
  'backbones:lastComparison',
  'training:preflight',
  'training:start',
  'training:cancel',
  'experiments:list',
  'experiments:get',
  'experiments:rename',
  'experiments:annotate',
  'experiments:delete',
  'experiments:compare',
  'experiments:predictions',
  'experiments:mistakes',
  'domains:counts',
  'domains:setFolder',
  'adaptation:start',
  'adaptation:cancel',
  'adaptation:report',
  'locations:pick',
  'exports:support',
  'exports:start',
  'exports:list',
  'predict:photos',
  'predict:images',
  'predict:batchStart',
  'predict:batchCancel',
  'suggestions:compute',
  'suggestions:cancel',
  'suggestions:list',
  'suggestions:accept',
  'health:report',
  'health:check',
  'health:cancel',
  'health:keep',
  'health:exclude',
  'dataset:export',
] as const satisfies readonly CallName[];

export const EVENT_NAMES = [
  'import:progress',
  'import:finished',
  'labels:changed',
  'classes:changed',
  'projects:changed',
  'training:progress',
  'training:epoch',
  'training:finished',
  'export:finished',
  'predict:progress',
  'predict:finished',
  'suggestions:progress',
  'suggestions:finished',
  'health:progress',
  'health:finished',
  'backbones:compareProgress',
  'backbones:compareFinished',
  'adaptation:progress',
] as const satisfies readonly EventName[];

type Missing<All, Listed> = Exclude<All, Listed>;
const everyCallListed: Missing<CallName, (typeof CALL_NAMES)[number]> extends never ? true : never = true;
const everyEventListed: Missing<EventName, (typeof EVENT_NAMES)[number]> extends never ? true : never = true;
void everyCallListed;
void everyEventListed;

/** The typed surface both transports give the renderer. */
export interface GraftApi {
  call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
  mediaUrl(imageId: Id, size: 'thumb' | 'full'): string;
}
