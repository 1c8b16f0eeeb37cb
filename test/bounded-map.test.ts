import { describe, expect, it } from "vitest";
import { BoundedMap } from "../src/bounded-map.js";

describe("BoundedMap", () => {
  it("keeps at most its size, forgetting the oldest entry first; setting a kept key again forgets nothing", () => {
    const map = new BoundedMap<string, number>(3);
    for (const [i, key] of ["a", "b", "c"].entries()) map.set(key, i);
    map.set("a", 10);
    expect([...map]).toEqual([["a", 10], ["b", 1], ["c", 2]]);
    map.set("d", 3);
    expect([...map.keys()]).toEqual(["b", "c", "d"]);
    for (let i = 0; i < 100; i++) map.set(`k${i}`, i);
    expect([...map.keys()]).toEqual(["k97", "k98", "k99"]);
  });
});
