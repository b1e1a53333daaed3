// Svelte's options, read by the Vite plugin (build, vitest) and svelte-check alike. Svelte 5
// compiles the renderer's <script lang="ts"> itself, so nothing needs preprocessing and the
// defaults stand; the file's presence is what tells the tools so (they warned "no Svelte config found").
module.exports = {};
