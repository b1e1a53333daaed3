// How a chosen folder's layout turns into classes and splits when labels come from folder
// names. Pure: the import (main) and the renderer's fake API share it.

import { MAX_CLASS_LEVEL, type Split } from './contract';

const SPLIT_FOLDER_NAMES = new Map<string, Split>([
  ['train', 'train'],
  ['training', 'train'],
  ['val', 'val'],
  ['valid', 'val'],
  ['validation', 'val'],
  ['test', 'test'],
  ['testing', 'test'],
]);

/** The split a folder's name means (train, val, valid, validation, test…, any case), or null. */
export function splitFromFolderName(name: string): Split | null {
  return SPLIT_FOLDER_NAMES.get(name.toLowerCase()) ?? null;
}

/** The split a photo's folder names give it (`train/ants/x.jpg` → train): the first split folder on its path. */
export function splitFromPath(relPath: string): Split | null {
  const folders = relPath.split('/').slice(0, -1);
  for (const name of folders) {
    const split = splitFromFolderName(name);
    if (split) return split;
  }
  return null;
}

/**
 * What two class names are compared by: NFC, then lower case (full Unicode, not only the
 * ASCII folding of SQLite's NOCASE), so “CAFÉ”, “café” and “cafe\u0301” are one class.
 */
export function classNameKey(name: string): string {
  return name.normalize('NFC').trim().toLowerCase().normalize('NFC');
}

/** Why a photo gets no class from its folders. */
export type UnlabelledCause = 'root' | 'split-only' | 'too-shallow';

/** What a photo's folders say about it. */
export interface FolderLabel {
  /** The class folder's name in NFC, or null (see `cause`). */
  className: string | null;
  /** The first split folder on the way (train, val, valid, validation, test…, any case), if any. */
  split: Split | null;
  /** Null when there is a class. */
  cause: UnlabelledCause | null;
  /** How many class (non-split) folders lie between the chosen folder and the photo. */
  depth: number;
}

/**
 * The class and split a photo's relative path ('/'-separated, from the chosen folder) gives.
 * The class is the `classLevel`-th folder below the chosen folder (1 = the first), counting
 * only folders that are not split folders, so `train/cats/a.jpg`, `cats/train/a.jpg` and
 * `cats/2023/a.jpg` all give “cats” at level 1. The split is the first split folder at any level.
 */
export function folderLabel(relPath: string, classLevel = 1): FolderLabel {
  const folders = relPath.split('/').slice(0, -1);
  const classFolders = folders.filter((name) => !splitFromFolderName(name));
  const split = splitFromPath(relPath);
  const className = classFolders[classLevel - 1]?.normalize('NFC') ?? null;
  let cause: UnlabelledCause | null = null;
  if (className === null) {
    cause = folders.length === 0 ? 'root' : classFolders.length === 0 ? 'split-only' : 'too-shallow';
  }
  return { className, split, cause, depth: classFolders.length };
}

export interface LayoutClass {
  /** As the first photo's folder spells it (NFC); names equal by classNameKey are one class. */
  name: string;
  count: number;
  /** Relative paths of the first photos of the class, in path order. */
  samples: string[];
}

export interface FolderLayout {
  classLevel: number;
  classes: LayoutClass[];
  /** Photos in folders named like a split, by folder name as written. */
  splitFolders: { name: string; split: Split; count: number }[];
  /** Photos that get no class, by cause, with the first few relative paths. */
  unlabelled: { count: number; byCause: Record<UnlabelledCause, number>; samples: string[] };
  /** The deepest class level any photo has (0 when every photo is at the root or in split folders only). */
  maxLevel: number;
  /** A level that finds two or more classes when `classLevel` finds fewer; null otherwise. */
  suggestedLevel: number | null;
}

/**
 * How a folder's photos (relative paths, '/'-separated) divide into classes at `classLevel`,
 * which split folders they sit in and which get no class and why. `sampleCount` paths are kept
 * per class and for the unlabelled photos.
 */
export function describeLayout(relPaths: readonly string[], classLevel = 1, sampleCount = 4): FolderLayout {
  const classes = new Map<string, LayoutClass>();
  const splitFolders = new Map<string, { name: string; split: Split; count: number }>();
  const byCause: Record<UnlabelledCause, number> = { root: 0, 'split-only': 0, 'too-shallow': 0 };
  const unlabelledSamples: string[] = [];
  const classesPerLevel = Array.from({ length: MAX_CLASS_LEVEL }, () => new Set<string>());
  let maxLevel = 0;
  for (const relPath of [...relPaths].sort((a, b) => a.localeCompare(b))) {
    const label = folderLabel(relPath, classLevel);
    const folders = relPath.split('/').slice(0, -1);
    maxLevel = Math.max(maxLevel, Math.min(label.depth, MAX_CLASS_LEVEL));
    folders
      .filter((f) => !splitFromFolderName(f))
      .slice(0, MAX_CLASS_LEVEL)
      .forEach((f, level) => {
        classesPerLevel[level].add(classNameKey(f));
      });
    const splitFolder = folders.find((f) => splitFromFolderName(f));
    if (splitFolder && label.split) {
      const entry = splitFolders.get(splitFolder) ?? { name: splitFolder, split: label.split, count: 0 };
      entry.count++;
      splitFolders.set(splitFolder, entry);
    }
    if (label.className === null) {
      byCause[label.cause!]++;
      if (unlabelledSamples.length < sampleCount) unlabelledSamples.push(relPath);
      continue;
    }
    const key = classNameKey(label.className);
    const entry = classes.get(key) ?? { name: label.className, count: 0, samples: [] };
    entry.count++;
    if (entry.samples.length < sampleCount) entry.samples.push(relPath);
    classes.set(key, entry);
  }
  const found = classes.size;
  const suggested =
    found >= 2 ? -1 : classesPerLevel.findIndex((keys, level) => level + 1 !== classLevel && keys.size >= 2);
  return {
    classLevel,
    classes: [...classes.values()].sort((a, b) => a.name.localeCompare(b.name)),
    splitFolders: [...splitFolders.values()].sort((a, b) => a.name.localeCompare(b.name)),
    unlabelled: {
      count: byCause.root + byCause['split-only'] + byCause['too-shallow'],
      byCause,
      samples: unlabelledSamples,
    },
    maxLevel,
    suggestedLevel: suggested >= 0 ? suggested + 1 : null,
  };
}

/**
 * Why photos of a folder get no class from folder names, in words a person can act on; null
 * when every photo has one. Names the most common cause.
 */
export function unlabelledReason(layout: FolderLayout): string | null {
  const { byCause, count } = layout.unlabelled;
  if (count === 0) return null;
  const all = layout.classes.length === 0;
  const who = all ? 'No photo got a class' : `${count} ${count === 1 ? 'photo got' : 'photos got'} no class`;
  const largest = (Object.keys(byCause) as UnlabelledCause[]).sort((a, b) => byCause[b] - byCause[a])[0];
  const hint = layout.suggestedLevel ? ` Classes appear at folder level ${layout.suggestedLevel}.` : '';
  switch (largest) {
    case 'root':
      return `${who}: ${all ? 'the' : 'some'} photos sit directly in the chosen folder, not in a class folder below it.${hint}`;
    case 'split-only':
      return `${who}: no class folders were found below the split folders (${layout.splitFolders.map((s) => s.name).join(', ')}).${hint}`;
    default:
      return `${who}: ${all ? 'no photo lies' : 'they do not lie'} ${layout.classLevel} class folders deep (class level ${layout.classLevel}).${hint}`;
  }
}
