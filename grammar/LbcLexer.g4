// Lexer for HAProxy's configuration language (manual section 2).
// Structure only: no directive keyword appears here; the keyword registry in stdlib/ owns them.
// Modes: DEFAULT (configuration lines), PP (.if/.elif conditions), and three modes that the
// front end selects by hand to re-lex a single decoded word: SMP (sample expressions
// `fetch(args),conv(args)`), SMP_ARGS, and LF (log-format strings with %[...]).
lexer grammar LbcLexer;

NL        : '\r'? '\n' ;
WS        : [ \t\f]+ -> skip ;
COMMENT   : '#' ~[\r\n]* -> skip ;           // '#' starts a comment only outside quotes

PP_IF     : '.if' -> pushMode(PP) ;
PP_ELIF   : '.elif' -> pushMode(PP) ;
PP_ELSE   : '.else' ;
PP_ENDIF  : '.endif' ;
PP_MSG    : '.diag' | '.notice' | '.warning' | '.alert' ;

SECTION   : 'global' | 'defaults' | 'frontend' | 'backend' | 'listen' | 'peers' | 'resolvers'
          | 'userlist' | 'cache' | 'http-errors' | 'ring' | 'mailers' | 'program' | 'fcgi-app' | 'log-forward' ;
IF        : 'if' ;
UNLESS    : 'unless' ;
OR        : [oO] [rR] | '||' ;
LBRACE    : '{' ;
RBRACE    : '}' ;
BANG      : '!' ;

// A word: unquoted characters, backslash escapes, "double" (escapes, $VAR expansion) and
// 'single' (verbatim) quoted parts, concatenated without spaces. Decoded by the front end.
WORD      : WORD_START WORD_PART* ;
// A quote that never closes on its line: an error token with its own message.
UNTERMINATED : ( WORD_PART* ( '"' ( ~["\\\r\n] | '\\' ~[\r\n] )* '\\'? | '\'' ~['\r\n]* ) ) ;

// Anything else (a lone backslash at the end of a line): reported as unexpected.
BAD : . ;

fragment WORD_START : ~[ \t\f\r\n#"'\\!] | ESC | DQ | SQ ;
fragment WORD_PART  : ~[ \t\f\r\n#"'\\] | ESC | DQ | SQ ;
fragment ESC        : '\\' ~[\r\n] ;
fragment DQ         : '"' ( ~["\\\r\n] | '\\' ~[\r\n] )* '"' ;
fragment SQ         : '\'' ~['\r\n]* '\'' ;

mode PP;
PP_NL      : '\r'? '\n' -> type(NL), popMode ;
PP_WS      : [ \t\f]+ -> skip ;
PP_COMMENT : '#' ~[\r\n]* -> skip ;
PP_LPAREN  : '(' ;
PP_RPAREN  : ')' ;
PP_COMMA   : ',' ;
PP_AND     : '&&' ;
PP_OR      : '||' ;
PP_NOT     : '!' ;
PP_WORD    : ( ~[ \t\f\r\n#"'\\(),&|!] | ESC | DQ | SQ )+ ;
PP_BAD     : . ;

mode SMP;
SMP_LPAREN : '(' -> pushMode(SMP_ARGS) ;
SMP_COMMA  : ',' ;
SMP_IDENT  : [a-zA-Z0-9_.+\-]+ ;
SMP_BAD    : . ;

mode SMP_ARGS;
ARG_RPAREN : ')' -> popMode ;
ARG_COMMA  : ',' ;
// A backslash does not escape ',' or ')' here (HAProxy 2.6): quote such arguments instead.
ARG_TEXT   : ( ~[,)"'] | '"' ( ~["\\] | '\\' . )* '"' | '\'' ~[']* '\'' )+ ;
ARG_BAD    : . ;

mode LF;
LF_SAMPLE  : '%' LF_FLAGS? '[' ( ~[\]\\] | '\\' . )* ']' ;
LF_ALIAS   : '%' LF_FLAGS? [a-zA-Z]+ ;
LF_PERCENT : '%%' ;  // a literal '%'
LF_TEXT    : ~[%]+ ;  // HAProxy's log-format text has no escapes: a backslash is kept (regex back-references)
LF_BAD     : '%' LF_FLAGS? '[' ( ~[\]\\] | '\\' . )* | '%' LF_FLAGS? ;
fragment LF_FLAGS : '{' ~[}]* '}' ;
