/**
 * README's "Embedding Eventloom in an existing React app" example, as written (extracted by
 * test/setup/readme.ts): it renders, Add appends through the worker, Undo undoes.
 */
import { act, createElement, type ComponentType } from 'react';
import { createRoot } from 'react-dom/client';
import { describe, expect, it } from 'vitest';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** Resolves once `check` passes after a DOM change (or at once). */
function whenDom(container: HTMLElement, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (check()) return resolve();
    const observer = new MutationObserver(() => {
      if (check()) {
        observer.disconnect();
        resolve();
      }
    });
    observer.observe(container, { subtree: true, childList: true, characterData: true, attributes: true });
  });
}

describe("README's React example", () => {
  it('renders the list, and its Add and Undo buttons work', async () => {
    const { Todos } = (await import(/* @vite-ignore */ new URL('./.readme/Todos.tsx', import.meta.url).href)) as { Todos: ComponentType };
    const container = document.createElement('div');
    document.body.append(container);
    const root = createRoot(container);
    await act(async () => root.render(createElement(Todos)));
    const [add, undo] = [...container.querySelectorAll('button')];
    expect(container.querySelectorAll('li')).toHaveLength(0);
    expect(undo!.disabled).toBe(true);
    expect(container.textContent).toContain('0 pending, sync: off');

    await act(async () => add!.click());
    await whenDom(container, () => container.querySelectorAll('li').length === 1);
    expect(container.querySelector('li')!.textContent).toBe('Todo 1');
    await act(async () => add!.click());
    await whenDom(container, () => container.querySelectorAll('li').length === 2);
    expect(undo!.disabled).toBe(false);

    await act(async () => undo!.click());
    await whenDom(container, () => container.querySelectorAll('li').length === 1);
    expect([...container.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['Todo 1']);
    act(() => root.unmount());
    container.remove();
  });
});
