/** Options with undefined values removed, so `{ leaseSeconds: undefined }` keeps the default. */
export function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
