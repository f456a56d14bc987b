// What goes with a deleted record: a project or user takes its role assignments and EC2
// credentials with it; a domain takes its projects and users. One batch, so a crash never
// leaves half of it.
import type { Change, Store } from './store.js';

export function projectDeletion(store: Store, projectId: string): Change[] {
  return [
    ...store.all('assignment').filter((a) => a.project_id === projectId).map((a) => ({ op: 'del' as const, kind: 'assignment' as const, id: a.id })),
    ...store.all('credential').filter((c) => c.project_id === projectId).map((c) => ({ op: 'del' as const, kind: 'credential' as const, id: c.id })),
    { op: 'del', kind: 'project', id: projectId },
  ];
}

export function userDeletion(store: Store, userId: string): Change[] {
  return [
    ...store.all('assignment').filter((a) => a.user_id === userId).map((a) => ({ op: 'del' as const, kind: 'assignment' as const, id: a.id })),
    ...store.all('credential').filter((c) => c.user_id === userId).map((c) => ({ op: 'del' as const, kind: 'credential' as const, id: c.id })),
    { op: 'del', kind: 'user', id: userId },
  ];
}

export function roleDeletion(store: Store, roleId: string): Change[] {
  return [
    ...store.all('assignment').filter((a) => a.role_id === roleId).map((a) => ({ op: 'del' as const, kind: 'assignment' as const, id: a.id })),
    { op: 'del', kind: 'role', id: roleId },
  ];
}

export function domainDeletion(store: Store, domainId: string): Change[] {
  return [
    ...store.all('project').filter((p) => p.domain_id === domainId).flatMap((p) => projectDeletion(store, p.id)),
    ...store.all('user').filter((u) => u.domain_id === domainId).flatMap((u) => userDeletion(store, u.id)),
    { op: 'del', kind: 'domain', id: domainId },
  ];
}
