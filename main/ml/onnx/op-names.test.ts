// Op names come from model files a person imports: a name like "toString" or "constructor" must
// be treated as an unknown op, never find a member of Object.prototype in a lookup table.

import { describe, expect, it } from 'vitest';
import { checkNodesAtOpset } from '../export/onnx-merge';
import { graphInfo } from './onnx-graph-info';
import { ElemType, type GraphProto, type NodeProto } from './onnx-proto';

const INHERITED = ['toString', 'constructor', '__proto__', 'valueOf'];

describe('op names from a model file', () => {
  it('are unknown to the opset check when they name Object.prototype members', () => {
    for (const opType of INHERITED) {
      expect(() => checkNodesAtOpset([{ opType } as NodeProto], 13, 'backbone'), opType).toThrow(/cannot write/);
    }
    expect(() => checkNodesAtOpset([{ opType: 'Add' } as NodeProto], 13, 'backbone')).not.toThrow();
  });

  it('give their output the input’s type, as any op without a rule does', () => {
    for (const opType of INHERITED) {
      const graph = {
        input: [{ name: 'x', type: { tensorType: { elemType: ElemType.FLOAT } } }],
        node: [{ opType, input: ['x'], output: ['y'] }],
      } as GraphProto;
      expect(graphInfo(graph, 13).elemType.get('y'), opType).toBe(ElemType.FLOAT);
    }
  });
});
