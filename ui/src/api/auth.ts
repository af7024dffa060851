// The bearer token for `ktune server --token-file FILE` (the file's content). It is kept in
// sessionStorage (this tab, until it closes) or, when the user asks to be remembered, in
// localStorage (this browser, until "Sign out"). Every API request adds authHeaders(); a 401
// reply is reported here (noteUnauthorized), which makes the app ask for a token.
import { useSyncExternalStore } from "react";

const KEY = "ktune.token";

export interface AuthState {
  // The token in use, or "" when none was given.
  token: string;
  // Whether it is kept in localStorage.
  remembered: boolean;
  // A call was refused with 401 since the token last changed: the server wants a token.
  needed: boolean;
  // That 401 came although the current token was sent: the server refused this token.
  refused: boolean;
  // The user closed the prompt without entering a token (it stays closed until asked again).
  dismissed: boolean;
  // Counts token changes, so whatever fetched with the old one can fetch again.
  version: number;
}

function read(storage: () => Storage): string {
  try {
    return storage().getItem(KEY) ?? "";
  } catch {
    return ""; // storage disabled (privacy settings) or absent (tests)
  }
}

function write(storage: () => Storage, token: string | null) {
  try {
    if (token === null) storage().removeItem(KEY);
    else storage().setItem(KEY, token);
  } catch {
    /* the token lives in memory only */
  }
}

const local = () => window.localStorage;
const session = () => window.sessionStorage;

function initial(): AuthState {
  const remembered = read(local);
  const token = remembered || read(session);
  return {
    token,
    remembered: remembered !== "",
    needed: false,
    refused: false,
    dismissed: false,
    version: 0,
  };
}

let state: AuthState = initial();
const listeners = new Set<() => void>();

function update(next: Partial<AuthState>) {
  state = { ...state, ...next };
  listeners.forEach((l) => l());
}

export function authState(): AuthState {
  return state;
}

export function currentToken(): string {
  return state.token;
}

// The headers every API request carries: Authorization when a token is set.
export function authHeaders(): Record<string, string> {
  return state.token ? { Authorization: `Bearer ${state.token}` } : {};
}

// Uses `token` from now on; `remember` keeps it in localStorage, else in sessionStorage.
export function setToken(token: string, remember: boolean) {
  write(remember ? local : session, token);
  write(remember ? session : local, null);
  update({
    token,
    remembered: remember,
    needed: false,
    refused: false,
    dismissed: false,
    version: state.version + 1,
  });
}

// "Sign out": forgets the token everywhere.
export function clearToken() {
  write(local, null);
  write(session, null);
  update({
    token: "",
    remembered: false,
    needed: false,
    refused: false,
    dismissed: false,
    version: state.version + 1,
  });
}

// A request that carried `sentToken` ("" for none) was answered 401. A reply to a request made
// with an older token says nothing about the current one.
export function noteUnauthorized(sentToken: string) {
  if (sentToken !== state.token) return;
  const refused = sentToken !== "";
  if (state.needed && state.refused === refused) return;
  update({ needed: true, refused, dismissed: false });
}

// The user closed the prompt: the page stays as it is (showing the 401 error).
export function dismissPrompt() {
  if (!state.dismissed) update({ dismissed: true });
}

// Opens the prompt again (the top bar's button after a dismissal).
export function askForToken() {
  update({ needed: true, dismissed: false });
}

// Calls `listener` after every change of the state; returns the unsubscribe.
export function onAuthChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function useAuth(): AuthState {
  return useSyncExternalStore(onAuthChange, authState, authState);
}

// The token's version, for effects that must run again with a new token.
export function useAuthVersion(): number {
  return useAuth().version;
}
