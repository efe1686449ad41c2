/**
 * The training engine: build a model as an ONNX graph (graph.ts, ops.ts), derive its gradients
 * (autodiff.ts), and run loss and gradients in one onnxruntime-node session (session.ts).
 *
 *   const g = new Graph('train');
 *   const x = g.input('x', 'float32', [4, 128, 576]);
 *   const loss = crossEntropy(op.matmul(x, w), targets, mask);
 *   const [gradA] = gradients(loss, [loraA]);
 *   g.output('loss', loss); g.output('grad.lora_a', gradA);
 *   const { loss: l, 'grad.lora_a': dA } = await (await Runner.create(g)).run(feeds);
 */
export { Graph, ShapeError, Value, formatShape, isFloat, isStatic, sizeOf, typedArray } from './graph';
export type { AttributeValue, DType, Dim, Node, Shape, TensorData } from './graph';
export * as op from './ops';
export type { Operand } from './ops';
export { gradients } from './autodiff';
export { crossEntropy } from './loss';
export { IR_VERSION, OPSET, saveModel, serializeModel, toModelProto } from './onnx';
export type { SaveOptions, SavedModel } from './onnx';
export { Runner } from './session';
export type { Feed, HostTensor, RunnerOptions } from './session';
export { checkGradients, probe } from './gradcheck';
export type { GradientCheck } from './gradcheck';
