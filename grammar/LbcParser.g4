// Parser for HAProxy's configuration language. Lines, words, sections, preprocessor lines and
// conditions; which words are keywords is decided by the registry, never here.
parser grammar LbcParser;
options { tokenVocab = LbcLexer; }

config : line* EOF ;

line : ( sectionHeader | ppLine | directive )? NL ;

sectionHeader : SECTION anyWord* ;

ppLine : PP_IF ppExpr?           # ppIf
       | PP_ELIF ppExpr?         # ppElif
       | PP_ELSE                 # ppElse
       | PP_ENDIF                # ppEndif
       | PP_MSG anyWord*         # ppMsg
       ;

ppExpr  : ppAnd ( PP_OR ppAnd )* ;
ppAnd   : ppUnary ( PP_AND ppUnary )* ;
ppUnary : PP_NOT ppUnary                     # ppNot
        | PP_LPAREN ppExpr PP_RPAREN         # ppParen
        | PP_WORD ( PP_LPAREN ppArgs PP_RPAREN )?   # ppTerm
        ;
ppArgs  : ppArg ( PP_COMMA ppArg )* ;
ppArg   : PP_WORD? ;

// A directive: a head word, argument words, then an optional condition.
directive : headWord anyWord* ( condKeyword condition )? ;
headWord  : WORD | OR | LBRACE | RBRACE | BANG | UNTERMINATED ;
anyWord   : WORD | SECTION | OR | LBRACE | RBRACE | BANG | UNTERMINATED ;
condKeyword : IF | UNLESS ;

// HAProxy conditions: terms ANDed by juxtaposition, alternatives split by `||` / `or` (any
// case), `!` negates the next term, `{ ... }` is an anonymous ACL. As in HAProxy, an empty
// alternative (`if a or`, `if or a`, a bare `if`) is no alternative at all.
condition : OR* ( andCond ( OR+ andCond )* OR* )? ;
andCond   : condTerm+ ;
condTerm  : BANG* ( WORD | SECTION | anonAcl ) ;
anonAcl   : LBRACE aclWord+ RBRACE ;
aclWord   : WORD | SECTION | OR | BANG | IF | UNLESS | UNTERMINATED ;

// Sample expressions (lexer mode SMP): fetch(args),conv(args),...
sampleExpr : smpCall ( SMP_COMMA+ smpCall )* EOF ;  // `a,,b` is `a,b`, as in HAProxy
smpCall    : SMP_IDENT ( SMP_LPAREN smpArgs ARG_RPAREN )? ;
smpArgs    : smpArg ( ARG_COMMA smpArg )* ;
smpArg     : ARG_TEXT? ;

// Log-format strings (lexer mode LF): text, %[sample] and %alias items.
logFormat : lfItem* EOF ;
lfItem    : LF_TEXT | LF_PERCENT | LF_SAMPLE | LF_ALIAS ;
