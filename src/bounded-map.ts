/**
 * A Map that forgets its oldest entry when a new key would take it past its size: for caches
 * keyed by what clients send (documents, keys, workspaces), which must not grow without bound.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.max && !this.has(key)) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}
