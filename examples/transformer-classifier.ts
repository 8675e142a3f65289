// A Transformer text classifier over sequences of different lengths, as a PyTorch user writes it:
// a Dataset of variable-length token sequences, a collate function that pads each batch and
// builds the key-padding mask (what pad_sequence does in a collate_fn), a causal encoder, and
// AdamW with warmup then cosine decay, stepped per batch.
//
// The task: is the first token that is a 1 or a 2 a 1? Order matters, so a bag of tokens cannot
// solve it; causal attention reads the sequence left to right.
//
// Run: pnpm --filter @tapegrad/examples transformer
import { fileURLToPath } from "node:url";
import { crossEntropy, Generator, noGrad, stack, Tensor } from "@tapegrad/core";
import { DataLoader, Dataset } from "@tapegrad/data";
import {
  Embedding,
  LayerNorm,
  LearnedPositionalEmbedding,
  Linear,
  Module,
  TransformerEncoder,
} from "@tapegrad/layers";
import {
  AdamW,
  clipGradNorm,
  cosineDecay,
  LRScheduler,
  linearWarmup,
  sequential,
} from "@tapegrad/optim";

const VOCAB = 6; // 0 is padding; tokens 1..5
const MAX_LEN = 12;

export interface Example {
  tokens: Tensor; // [length] int32, length 3..MAX_LEN
  label: Tensor; // int32 scalar
}

export class FirstOfTwo extends Dataset<Example> {
  private readonly sequences: Int32Array[] = [];
  constructor(
    readonly length: number,
    generator: Generator,
  ) {
    super();
    for (let i = 0; i < length; i++) {
      const seq = new Int32Array(generator.randint(3, MAX_LEN + 1));
      for (let k = 0; k < seq.length; k++) seq[k] = generator.randint(1, VOCAB);
      // Make sure a 1 or a 2 occurs, somewhere after the start.
      if (!seq.some((t) => t === 1 || t === 2)) {
        seq[generator.randint(0, seq.length)] = generator.randint(1, 3);
      }
      this.sequences.push(seq);
    }
  }
  getItem(i: number): Example {
    const seq = this.sequences[i] ?? new Int32Array(0);
    const first = seq.find((t) => t === 1 || t === 2);
    return {
      tokens: new Tensor(seq.slice(), [seq.length], "int32"),
      label: new Tensor(Int32Array.of(first === 1 ? 1 : 0), [], "int32"),
    };
  }
}

export interface Batch {
  tokens: Tensor; // [N, L] int32, right-padded with 0
  paddingMask: Tensor; // [N, L] bool, true = padding
  label: Tensor; // [N] int32
}

/** Pad each sequence to the longest in the batch (PyTorch: pad_sequence in a collate_fn). */
export function padCollate(examples: Example[]): Batch {
  const longest = Math.max(...examples.map((e) => e.tokens.size));
  const tokens = stack(examples.map((e) => e.tokens.pad([0, longest - e.tokens.size])));
  return { tokens, paddingMask: tokens.eq(0), label: stack(examples.map((e) => e.label)) };
}

export class TransformerClassifier extends Module {
  embed = new Embedding(VOCAB, 32, { paddingIdx: 0 });
  pos = new LearnedPositionalEmbedding(MAX_LEN, 32, { std: 0.02 });
  encoder = new TransformerEncoder(
    { dModel: 32, nhead: 4, dimFeedforward: 64, dropout: 0, normFirst: true },
    2,
  );
  norm = new LayerNorm(32);
  head = new Linear(32, 2);

  /** Causal self-attention that ignores padding, then the mean over each sequence's tokens. */
  forward(tokens: Tensor, paddingMask: Tensor): Tensor {
    const h = this.encoder.forward(this.pos.forward(this.embed.forward(tokens)), {
      srcKeyPaddingMask: paddingMask,
      isCausal: true,
    });
    const keep = paddingMask.to("float32").neg().add(1).unsqueeze(-1); // 1 for real tokens
    return this.head.forward(this.norm.forward(h.mul(keep).sum(1).div(keep.sum(1))));
  }
}

export interface Result {
  valAccuracy: number;
}

export function main(epochs = 3, log = console.log): Result {
  const train = new FirstOfTwo(800, new Generator(0));
  const trainLoader = new DataLoader(train, {
    batchSize: 32,
    shuffle: true,
    generator: new Generator(1),
    collate: padCollate,
  });
  const valLoader = new DataLoader(new FirstOfTwo(200, new Generator(2)), {
    batchSize: 100,
    collate: padCollate,
  });

  const model = new TransformerClassifier();
  log(`${model.numParameters()} parameters`);
  const optimizer = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.01 });
  const total = epochs * trainLoader.length;
  const warmup = trainLoader.length;
  const scheduler = new LRScheduler(
    optimizer,
    sequential([linearWarmup(warmup), cosineDecay(total - warmup)], [warmup]),
  );

  let valAccuracy = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    let trainLoss = 0;
    for (const b of trainLoader) {
      optimizer.zeroGrad();
      const loss = crossEntropy(model.forward(b.tokens, b.paddingMask), b.label);
      loss.backward();
      clipGradNorm(model.parameters(), 1.0);
      optimizer.step();
      scheduler.step();
      trainLoss += loss.item() * b.label.size;
    }
    model.eval();
    let correct = 0;
    let seen = 0;
    noGrad(() => {
      for (const b of valLoader) {
        const logits = model.forward(b.tokens, b.paddingMask);
        correct += logits.argmax(1).eq(b.label).sum().item();
        seen += b.label.size;
      }
    });
    valAccuracy = correct / seen;
    log(
      `epoch ${epoch}: train loss ${(trainLoss / train.length).toFixed(4)}, ` +
        `val accuracy ${(valAccuracy * 100).toFixed(1)}%`,
    );
  }
  log(`final val accuracy ${(valAccuracy * 100).toFixed(1)}%`);
  return { valAccuracy };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
