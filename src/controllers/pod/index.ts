// The pod side's public surface: the composition root calls startPodSide(ctx).
export { startPodSide, type PodSide, type PodSideOptions } from './pod-side.js';
