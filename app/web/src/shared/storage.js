// localStorage and sessionStorage that never throw: a full or disabled store loses a save,
// not the page.

function read(store, key) {
  try {
    const text = store.getItem(key);
    return text === null ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

function write(store, key, value) {
  try {
    if (value === null || value === undefined) store.removeItem(key);
    else store.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

const local = () => window.localStorage;
const session = () => window.sessionStorage;

export const saved = {
  get: (key) => read(local(), key),
  set: (key, value) => write(local(), key, value),
};

export const tab = {
  get: (key) => read(session(), key),
  set: (key, value) => write(session(), key, value),
};
