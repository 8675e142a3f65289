import { initWebGPU, leakyRelu, randn, tensor, where } from "/work/main/packages/core/src/index.js";

process.env.VK_ICD_FILENAMES = "/usr/lib/chromium/vk_swiftshader_icd.json";
await initWebGPU();
const x = randn([3, 4]).to("webgpu").requiresGrad_();
try {
  const y = where(x.gt(0), x.square(), x.neg());
  y.sum().backward();
  console.log(Array.from(await x.grad.dataAsync()).length);
} catch (e) {
  console.log(e.stack);
}
