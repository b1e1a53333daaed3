// npm run bench -- health: dataset health measured on the shared photo sets (hymenoptera, PACS
// photo) with planted faults, and its speed on 20,000 photos with synthetic cached embeddings.
//  1. Near copies: 50 planted copies (resized to half, re-encoded at quality 40, 4% cropped from
//     each side, 15% brighter) of seeded originals, put in another split than their original.
//     Prints, per dHash distance threshold, the copies found and the false pairs among the
//     originals, then what the health report itself lists at NEAR_DUPLICATE_BITS.
//  2. Likely mislabels: 5% of training labels flipped (seeded); precision and recall of the
//     likely-mislabel list at k = number flipped, per backbone (bundled default; the imported
//     ImageNet MobileNetV2 from ../shared/backbones when present).
//  3. Speed: health:report on 20,000 photos whose hashes and embeddings are cached (synthetic).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { permutation, seededRandom } from '../common/seeded-random';
import { type NearCopyKind, nearCopy } from '../e2e/fixtures/health-corpus';
import { hammingDistance, nearHashPairs } from '../main/ml/health/hash-pairs';
import { COARSE_HASH_DIGITS, PHOTO_HASH_DIGITS } from '../main/ml/health/perceptual-hash';
import { PREPROCESSING_VERSION } from '../main/ml/preprocess';
import { SqliteEmbeddingCache } from '../main/services/embedding-store';
import type { GraftApp as GraftAppType } from '../main/services/graft-app';
import { GraftApp } from '../main/services/graft-app';
import { NEAR_DUPLICATE_BITS, NEAR_DUPLICATE_FINE_BITS } from '../main/services/health/health-findings';
import { HYMENOPTERA_DIR, SHARED_BACKBONES_DIR } from './hymenoptera';

const PACS_PHOTO_DIR = path.resolve(__dirname, '..', '..', 'shared', 'datasets', 'pacs', 'photo');
const PLANTED = 50;
const FLIP_FRACTION = 0.05;
const KINDS: NearCopyKind[] = ['resize', 'reencode', 'crop', 'brightness'];

interface Dataset {
  name: string;
  dir: string;
  /** Whether the folder has train/ and val/ above the classes. */
  splitFolders: boolean;
}

function filesBelow(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .flatMap((e) =>
      e.isFile() && /\.(jpe?g|png)$/i.test(e.name) ? [path.relative(dir, path.join(e.parentPath, e.name))] : [],
    );
}

/** The set copied to `work`, with PLANTED near copies next to seeded originals; returns copy → original. */
async function plantCopies(set: Dataset, work: string, seed: number): Promise<Map<string, string>> {
  fs.cpSync(set.dir, work, { recursive: true });
  const originals = filesBelow(work).sort();
  const order = permutation(originals.length, seededRandom(seed));
  const planted = new Map<string, string>();
  for (let i = 0; i < PLANTED; i++) {
    const original = originals[order[i]];
    const kind = KINDS[i % KINDS.length];
    let copy = path.join(path.dirname(original), `planted-${kind}-${i}.jpg`);
    if (set.splitFolders) {
      const [split, ...rest] = original.split(path.sep);
      copy = path.join(split === 'train' ? 'val' : 'train', ...rest.slice(0, -1), `planted-${kind}-${i}.jpg`);
    }
    fs.writeFileSync(path.join(work, copy), await nearCopy(fs.readFileSync(path.join(work, original)), kind));
    planted.set(copy.split(path.sep).join('/'), original.split(path.sep).join('/'));
  }
  return planted;
}

function imageIdsByPath(app: GraftAppType, projectId: number): Map<string, { id: number; hash: string }> {
  const rows = app.ctx.db
    .prepare(`SELECT id, rel_path AS relPath, content_hash AS hash FROM images WHERE project_id = ? AND status = 'ok'`)
    .all(projectId) as { id: number; relPath: string; hash: string }[];
  return new Map(rows.map((r) => [r.relPath, { id: r.id, hash: r.hash }]));
}

function nearCopySweep(app: GraftAppType, byPath: Map<string, { hash: string }>, planted: Map<string, string>): void {
  const hashOf = app.ctx.db.prepare('SELECT dhash FROM perceptual_hashes WHERE content_hash = ?');
  const dhash = (p: string) => (hashOf.get(byPath.get(p)!.hash) as { dhash: string }).dhash;
  const coarse = (h: string) => h.slice(0, COARSE_HASH_DIGITS);
  const fine = (h: string) => h.slice(COARSE_HASH_DIGITS);
  const originals = [...byPath.keys()].filter((p) => !planted.has(p));
  const originalPairs = nearHashPairs(originals.map(dhash), 16, 256);
  const copies = [...planted].map(([copy, original]) => ({
    copy,
    coarse: hammingDistance(coarse(dhash(copy)), coarse(dhash(original))),
    fine: hammingDistance(fine(dhash(copy)), fine(dhash(original))),
  }));
  console.log('  coarse 64-bit dHash alone: bits | copies found | pairs among originals');
  for (let t = 4; t <= 16; t += 2) {
    const found = copies.filter((c) => c.coarse <= t).length;
    const pairs = originalPairs.filter((p) => p.distance <= t).length;
    console.log(`    ≤ ${String(t).padStart(2)} | ${found}/${planted.size} | ${pairs}`);
  }
  console.log(`  coarse ≤ ${NEAR_DUPLICATE_BITS} and fine 256-bit dHash: bits | copies found | pairs among originals`);
  for (const t of [40, 48, 56, 64, 72, 80]) {
    const found = copies.filter((c) => c.coarse <= NEAR_DUPLICATE_BITS && c.fine <= t).length;
    const pairs = originalPairs.filter((p) => p.distance <= NEAR_DUPLICATE_BITS && p.fineDistance <= t).length;
    console.log(`    ≤ ${t} | ${found}/${planted.size} | ${pairs}`);
  }
  const byKind = KINDS.map((k) => {
    const ds = copies.filter((c) => c.copy.includes(`-${k}-`));
    return `${k} max ${Math.max(...ds.map((c) => c.coarse))}/${Math.max(...ds.map((c) => c.fine))}`;
  });
  console.log(`  copy-to-original distance by kind (coarse/fine): ${byKind.join(', ')}`);
}

async function mislabelRun(app: GraftAppType, projectId: number, backboneId: string, seed: number) {
  await app.health.check(projectId, backboneId).done;
  const train = app.ctx.db
    .prepare(
      `SELECT l.image_id AS imageId, l.class_id AS classId FROM labels l JOIN splits s ON s.image_id = l.image_id
       JOIN images i ON i.id = l.image_id WHERE i.project_id = ? AND s.split = 'train' AND i.rel_path NOT LIKE '%planted-%'
       ORDER BY i.rel_path`,
    )
    .all(projectId) as { imageId: number; classId: number }[];
  const classIds = app.classes.list(projectId).map((c) => c.id);
  const random = seededRandom(seed);
  const order = permutation(train.length, random);
  const flipped = Array.from({ length: Math.round(train.length * FLIP_FRACTION) }, (_, i) => train[order[i]]);
  for (const f of flipped) {
    const others = classIds.filter((c) => c !== f.classId);
    app.labels.assign(projectId, [f.imageId], others[Math.floor(random() * others.length)]);
  }
  const report = await app.health.report(projectId, backboneId);
  for (const f of flipped) app.labels.assign(projectId, [f.imageId], f.classId);
  const list = report.findings.filter((x) => x.kind === 'likely-mislabel');
  const k = flipped.length;
  const top = new Set(list.slice(0, k).map((x) => x.photos[0].imageId));
  const hits = flipped.filter((f) => top.has(f.imageId)).length;
  const inList = new Set(list.map((x) => x.photos[0].imageId));
  const listed = flipped.filter((f) => inList.has(f.imageId)).length;
  return { k, hits, listLength: list.length, listed, seconds: report.seconds };
}

async function datasetRun(set: Dataset, root: string): Promise<void> {
  if (!fs.existsSync(set.dir)) {
    console.log(`Skipped ${set.name}: ${set.dir} is not present (shared data, not part of the repository).`);
    return;
  }
  const work = path.join(root, set.name);
  const planted = await plantCopies(set, path.join(work, 'photos'), 2026);
  const app = new GraftApp({ dataDir: path.join(work, 'data') });
  try {
    const projectId = app.projects.create(set.name).id;
    const folder = app.folders.add(projectId, path.join(work, 'photos'), true);
    const imported = await app.importer.start(folder.id).done;
    if (!set.splitFolders) app.splits.generate(projectId, 2026, { train: 0.7, val: 0.15, test: 0.15 });
    const byPath = imageIdsByPath(app, projectId);
    if (!set.splitFolders) {
      // Each copy goes to another split than its original: train ↔ val.
      const splitOf = app.ctx.db.prepare('SELECT split FROM splits WHERE image_id = ?');
      for (const [copy, original] of planted) {
        const s = (splitOf.get(byPath.get(original)!.id) as { split: string }).split;
        app.splits.set(projectId, [byPath.get(copy)!.id], s === 'train' ? 'val' : 'train');
      }
    }
    console.log(`\n${set.name}: ${imported.added} photos imported (${PLANTED} of them planted near copies)`);

    const backbones: [string, string][] = [['bundled default', app.backbones.list().find((b) => b.isDefault)!.id]];
    const reference = path.join(SHARED_BACKBONES_DIR, 'mobilenetv2-12-int8-onnx', 'mobilenetv2-12-int8.onnx');
    if (fs.existsSync(reference)) {
      const { backbone } = await app.backbones.importFile(reference, { name: 'MobileNetV2 int8 (ImageNet)' });
      backbones.push(['imported ImageNet MobileNetV2 int8', backbone.id]);
    }
    for (const [label, id] of backbones) {
      const started = performance.now();
      const r = await mislabelRun(app, projectId, id, 7);
      const fill = (performance.now() - started) / 1000;
      console.log(
        `  likely mislabels, ${label}: ${r.k} flipped; top ${r.k}: ${r.hits} flipped → precision ${(r.hits / r.k).toFixed(2)}, recall ${(r.hits / r.k).toFixed(2)}; whole list ${r.listLength} findings holding ${r.listed}/${r.k} flipped (check + report ${fill.toFixed(1)} s, report ${r.seconds.toFixed(2)} s)`,
      );
    }
    nearCopySweep(app, byPath, planted);
    const report = await app.health.report(projectId);
    const groups = report.findings.filter((f) => f.kind === 'leakage' || f.kind === 'near-duplicate');
    const found = [...planted].filter(([copy, original]) =>
      groups.some((g) => g.kind === 'leakage' && [copy, original].every((p) => g.photos.some((x) => x.relPath === p))),
    ).length;
    const falseGroups = groups.filter((g) => g.photos.filter((p) => !planted.has(p.relPath)).length >= 2);
    console.log(
      `  health report at coarse ≤ ${NEAR_DUPLICATE_BITS}, fine ≤ ${NEAR_DUPLICATE_FINE_BITS} bits: ${found}/${PLANTED} planted copies listed as leakage with their original; ${falseGroups.length} findings pair two originals${
        falseGroups.length
          ? `: ${falseGroups
              .slice(0, 5)
              .map((g) =>
                g.photos
                  .slice(0, 4)
                  .map((p) => p.relPath)
                  .join(' ~ '),
              )
              .join('; ')}`
          : ''
      }`,
    );
  } finally {
    app.close();
  }
}

/** 20,000 labelled photos in 10 classes with synthetic cached hashes and embeddings: the report's own time. */
async function scaleRun(root: string): Promise<void> {
  const app = new GraftApp({ dataDir: path.join(root, 'scale') });
  try {
    const projectId = app.projects.create('Scale').id;
    const prepared = await app.backbones.prepare(app.backbones.list().find((b) => b.isDefault)!.id);
    const db = app.ctx.db;
    const folderId = Number(
      db.prepare('INSERT INTO source_folders (project_id, path) VALUES (?, ?)').run(projectId, root).lastInsertRowid,
    );
    const classIds = Array.from({ length: 10 }, (_, i) => app.classes.create(projectId, `class ${i}`).id);
    const random = seededRandom(11);
    const dim = prepared.featureDim;
    const centres = classIds.map(() => Float32Array.from({ length: dim }, () => random() * 2 - 1));
    const cache = new SqliteEmbeddingCache(db);
    const n = 20_000;
    db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const hash = `synthetic-${i}`;
        const imageId = Number(
          db
            .prepare(
              `INSERT INTO images (project_id, folder_id, rel_path, size_bytes, mtime_ms, content_hash, width, height, status, added_at)
               VALUES (?, ?, ?, 1, 1, ?, 640, 480, 'ok', '')`,
            )
            .run(projectId, folderId, `p/${i}.jpg`, hash).lastInsertRowid,
        );
        const c = i % classIds.length;
        db.prepare(`INSERT INTO labels (image_id, class_id, origin, labelled_at) VALUES (?, ?, 'user', '')`).run(
          imageId,
          classIds[c],
        );
        db.prepare(`INSERT INTO splits (image_id, split, origin) VALUES (?, ?, 'auto')`).run(
          imageId,
          i % 10 < 7 ? 'train' : i % 10 < 9 ? 'val' : 'test',
        );
        const v = Float32Array.from(centres[c], (x) => x + (random() - 0.5) * 2);
        cache.put(
          {
            contentHash: hash,
            backboneId: prepared.embeddingModelId,
            preprocessingVersion: PREPROCESSING_VERSION,
            view: 'original',
          },
          v,
        );
        const dhash = Array.from({ length: PHOTO_HASH_DIGITS }, () => Math.floor(random() * 16).toString(16)).join('');
        db.prepare('INSERT INTO perceptual_hashes (content_hash, dhash) VALUES (?, ?)').run(hash, dhash);
      }
    })();
    for (let run = 0; run < 2; run++) {
      const started = performance.now();
      const report = await app.health.report(projectId);
      console.log(
        `  20,000 photos (synthetic ${dim}-d embeddings and random dHashes, all cached), run ${run + 1}: report ${((performance.now() - started) / 1000).toFixed(2)} s wall (${report.seconds.toFixed(2)} s finding), ${report.findings.length} findings, missing ${report.missing}`,
      );
    }
  } finally {
    app.close();
  }
}

/** `npm run bench -- health [speed]`: `speed` runs only the 20,000-photo timing. */
export async function benchHealth(args: string[]): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-bench-health-'));
  console.log(
    `npm run bench -- health   (machine: ${os.cpus().length}× ${os.cpus()[0]?.model}, load ${os.loadavg()[0].toFixed(1)})`,
  );
  try {
    if (args[0] !== 'speed') {
      await datasetRun({ name: 'hymenoptera', dir: HYMENOPTERA_DIR, splitFolders: true }, root);
      await datasetRun({ name: 'pacs-photo', dir: PACS_PHOTO_DIR, splitFolders: false }, root);
    }
    console.log('\nSpeed:');
    await scaleRun(root);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
