import { ones, randn, type Tensor, zeros } from "@tapegrad/core";
import {
  Conv2d,
  Dropout,
  Linear,
  MaxPool2d,
  Module,
  Parameter,
} from "/work/main/packages/layers/src/index.ts";

class Net extends Module {
  conv = new Conv2d(1, 4, 3, { padding: 1 }); // a child: conv.weight, conv.bias
  pool = new MaxPool2d(2);
  drop = new Dropout(0.25);
  fc = new Linear(4 * 4 * 4, 10);
  scale = new Parameter(ones([1])); // a parameter, as nn.Parameter
  offset = zeros([1]); // a plain tensor: not a parameter, as in PyTorch
  forward(x: Tensor): Tensor {
    const h = this.drop.forward(this.pool.forward(this.conv.forward(x).relu()));
    return this.fc.forward(h.flatten(1)).mul(this.scale);
  }
}

const net = new Net();
console.log(net.namedParameters().map(([name]) => name));
// ['scale', 'conv.weight', 'conv.bias', 'fc.weight', 'fc.bias']
console.log(String(net));
// Net(
//   (conv): Conv2d(1, 4, kernelSize=(3, 3), stride=(1, 1), padding=(1, 1))
//   (pool): MaxPool2d(kernelSize=2, stride=2, padding=0, dilation=1, ceilMode=false)
//   (drop): Dropout(p=0.25)
//   (fc): Linear(inFeatures=64, outFeatures=10, bias=true)
// )
net.conv.requiresGrad_(false); // freeze the convolution
console.log(
  net.forward(randn([2, 1, 8, 8])).shape,
  net.parameters().filter((p) => p.requiresGrad).length,
);
