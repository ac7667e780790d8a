// Renderer entry: the Korean font and global styles, then the app.
import { mount } from 'svelte';
// Korean web font shipped with the app (a machine without a Korean font would show boxes): unicode-range
// subsets, so only the ranges a page uses are loaded, all from the app's own files (CSP font-src 'self').
import '@fontsource-variable/noto-sans-kr';
// Math is MathML (lib/math/tex.ts): Temml's stylesheet (local math fonts + its script font) and ours.
import 'temml/dist/Temml-Local.css';
import './lib/math/math.css';
import './app.css';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('index.html lacks the #app element');

export default mount(App, { target });
