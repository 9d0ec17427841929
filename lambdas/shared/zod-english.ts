/**
 * zod's English messages, for the modules that validate with `zod/mini` (the tree-shakable API, which loads
 * no locale by itself: its issues would all say "Invalid input"). Import it for its effect, next to
 * `import * as z from 'zod/mini'`; it costs about 3 KB, where `import { z } from 'zod'` brings every locale.
 * The setting is zod's global one: full zod, where it is loaded too, sets the same English locale.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
