// Templates: parsing (for the checker), the placeholder scope per rule kind, and rendering (for email).
export { parseTemplate, type ParsedTemplate, type PlaceholderUse, type TemplateProblem } from './parse.js';
export { FRONT_MATTER_KEYS } from './front-matter.js';
export { scopePaths, templateGroups, templateScopes, type TemplateScope, type TemplateScopeKind } from './scope.js';
export { renderTemplate, escapeHtml, type RenderedEmail } from './render.js';
export { defaultTemplateTexts, incentiveTemplateNames } from './defaults.js';
