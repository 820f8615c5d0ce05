/** The index/vault consistency pass as a pure set difference; the daemon acts on the result. */

export interface ReconcileResult {
  /** In the vault but not in the index: re-index from the container's metadata. */
  readonly missingInIndex: string[];
  /** In the index but without a vault file: remove from the index (and report). */
  readonly missingInVault: string[];
}

export function reconcile(indexIds: readonly string[], vaultIds: readonly string[]): ReconcileResult {
  const inIndex = new Set(indexIds);
  const inVault = new Set(vaultIds);
  const missingInIndex = [...inVault].filter((id) => !inIndex.has(id)).sort();
  const missingInVault = [...inIndex].filter((id) => !inVault.has(id)).sort();
  return { missingInIndex, missingInVault };
}
