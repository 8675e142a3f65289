import { DataLoader, IterableDataset } from "/work/main/packages/data/src/index.ts";

/** Pages of examples as they would arrive from fetch() in a browser. */
class Pages extends IterableDataset<{ id: number; score: number }> {
  async *[Symbol.asyncIterator]() {
    for (let page = 0; page < 3; page++) {
      const rows = await Promise.resolve(
        [0, 1, 2].map((k) => ({ id: page * 3 + k, score: k / 2 })),
      );
      yield* rows;
    }
  }
}

for await (const batch of new DataLoader(new Pages(), { batchSize: 4 })) {
  console.log(batch.id.toArray(), batch.score.shape); // batches of 4, then the last 1
}
