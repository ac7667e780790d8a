export { linear } from './linear.ts';
export { rmsNorm } from './rms-norm.ts';
export { silu, swiglu } from './activations.ts';
export { rotaryTables, applyRotary, rotateHalf, type RotaryTables } from './rotary.ts';
export { attention, causalAttentionBias } from './attention.ts';
export { chunkedLinearCrossEntropy, crossEntropy, tokenLogProbs } from './cross-entropy.ts';
