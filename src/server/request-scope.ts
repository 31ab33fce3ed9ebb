import { AsyncLocalStorage } from 'node:async_hooks';

/** The request an async operation belongs to (so module calls can be logged under its id). */
export const requestScope = new AsyncLocalStorage<{ requestId: string }>();
