import { noGrad, tensor } from "/work/main/packages/core/src/index.ts";

const x = tensor([1, 2], { requiresGrad: true });
const y = x.mul(x).sum(); // mul saves x
noGrad(() => x.copy_(tensor([5, 6])));
try {
  y.backward();
} catch (e) {
  console.log((e as Error).message.split(".")[0]);
  // backward: one of the variables needed for gradient computation has been modified by an
  // inplace operation: the float32 [2] tensor saved by 'mul' is at version 1; expected version 0 instead
}
