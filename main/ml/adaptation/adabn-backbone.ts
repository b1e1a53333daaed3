// An AdaBN-adapted backbone as a run keeps it: the adapted ONNX model without Graft's tap
// outputs (so it is stored like any imported ONNX backbone and tapped again when prepared), and a
// backbone spec that describes it as an imported file in the run's folder. Its own id and a
// version from the file's hash make its embedding cache keys differ from the source backbone's.
import { type BackboneSpec, embeddingModelId } from '../backbones/backbone-spec';
import { sha256 } from '../backbones/prepare-backbone';
import { TAP_OUTPUT_PREFIX } from '../onnx/expose-node';
import { valueInfo } from '../onnx/onnx-graph-builder';
import { defaultOpset, graphInfo } from '../onnx/onnx-graph-info';
import { decodeModel, ElemType, encodeModel } from '../onnx/onnx-proto';

/**
 * The prepared (tapped) model without the nodes exposeTaps added: its outputs become the tapped
 * tensors themselves, returned in tap order (the tensor names the spec's taps must name).
 */
export function untappedModel(tapped: Uint8Array): { bytes: Uint8Array; tensors: string[] } {
  const model = decodeModel(tapped);
  const graph = model.graph!;
  const info = graphInfo(graph, defaultOpset(model.opsetImport ?? []));
  const isTap = (name: string) => name.startsWith(TAP_OUTPUT_PREFIX);
  const tensors = info.graphOutputs.map((out) => {
    let current = out;
    for (let node = info.producer.get(current); node && isTap(current); node = info.producer.get(current)) {
      current = node.input![0];
    }
    if (isTap(current)) throw new Error(`Tap output ${out} has no tensor behind it.`);
    return current;
  });
  graph.node = info.nodes.filter((n) => !(n.output ?? []).some(isTap));
  graph.initializer = (graph.initializer ?? []).filter((t) => !isTap(t.name ?? ''));
  graph.output = tensors.map(
    (t) => (graph.valueInfo ?? []).find((v) => v.name === t) ?? valueInfo(t, info.elemType.get(t) ?? ElemType.FLOAT),
  );
  return { bytes: encodeModel(model), tensors };
}

/**
 * The spec of run `experimentId`'s AdaBN backbone: `source`'s preprocessing and taps (on the
 * tensors `tensors` names, in tap order), the untapped model `bytes` kept at `file`.
 */
export function adaBnSpec(
  source: BackboneSpec,
  experimentId: number,
  file: string,
  bytes: Uint8Array,
  tensors: string[],
): BackboneSpec {
  const hash = sha256(bytes);
  return {
    ...source,
    id: `${source.id}-adabn-${experimentId}`,
    version: hash.slice(0, 16),
    name: `${source.name}, AdaBN (run ${experimentId})`,
    source: { kind: 'imported', path: file, sha256: hash, origin: 'onnx' },
    taps: source.taps.map((t, i) => ({ ...t, node: tensors[i] })),
    notes:
      `${source.notes} BatchNorm statistics re-estimated by Graft on new-domain photos (AdaBN) from ${embeddingModelId(source)}.`.trim(),
  };
}
