/**
 * Light or dark: follows prefers-color-scheme until the user picks one with the
 * toggle; the pick is kept in localStorage (it is no secret) and set as
 * <html data-theme>, which the stylesheet reads.
 */
import { useEffect, useLayoutEffect, useState } from 'react';

export type Theme = 'light' | 'dark';
const storageKey = 'jobgate.theme';

function systemTheme(): Theme {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function savedTheme(): Theme | null {
  try {
    const value = localStorage.getItem(storageKey);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}

export function useTheme(): { theme: Theme; toggle: () => void } {
  const [chosen, setChosen] = useState<Theme | null>(savedTheme);
  const [system, setSystem] = useState<Theme>(systemTheme);
  useEffect(() => {
    const media = window.matchMedia?.('(prefers-color-scheme: dark)');
    const update = () => setSystem(systemTheme());
    media?.addEventListener('change', update);
    return () => media?.removeEventListener('change', update);
  }, []);
  const theme = chosen ?? system;
  // A layout effect: set before any passive effect (the charts read the colours in theirs).
  useLayoutEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const toggle = () => {
    const next: Theme = theme === 'dark' ? 'light' : 'dark';
    setChosen(next);
    try {
      localStorage.setItem(storageKey, next);
    } catch {
      // Not kept: the choice lasts for this page.
    }
  };
  return { theme, toggle };
}
