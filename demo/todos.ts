import { defineProjection } from 'eventloom';

export interface Todo {
  id: string;
  title: string;
  done: boolean;
}

export const todos = defineProjection<Todo[]>({
  name: 'todos',
  initial: () => [],
  reduce: (state, event) => {
    const p = event.payload as { id: string; title?: string };
    switch (event.type) {
      case 'todo.added':
        return [...state, { id: p.id, title: p.title ?? '', done: false }];
      case 'todo.toggled':
        return state.map((t) => (t.id === p.id ? { ...t, done: !t.done } : t));
      case 'todo.removed':
        return state.filter((t) => t.id !== p.id);
      default:
        return state;
    }
  },
});
