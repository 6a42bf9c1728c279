// The entry of dist/webview/chatHighlightMore.js: the languages agents write less often, loaded
// (after chatHighlight.js) the first time the chat shows one of them.
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import dockerfile from 'highlight.js/lib/languages/dockerfile';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import kotlin from 'highlight.js/lib/languages/kotlin';
import makefile from 'highlight.js/lib/languages/makefile';
import php from 'highlight.js/lib/languages/php';
import powershell from 'highlight.js/lib/languages/powershell';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';

if (!globalThis.claudeManagerHighlighter) throw new Error('chatHighlightMore.js needs chatHighlight.js, loaded first.');
globalThis.claudeManagerHighlighter.register({ c, cpp, csharp, css, dockerfile, go, ini, java, kotlin, makefile, php, powershell, ruby, rust, sql, swift });
