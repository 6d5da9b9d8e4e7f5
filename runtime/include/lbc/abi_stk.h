// The sticky-counter fetches and converters (stdlib/src/rt/stk.cpp): their ABI lists, joined to
// LBC_ABI_FETCHES / LBC_ABI_CONVS (abi.h). X(Id, Op, Data, Kilo, Bool, Slot): Slot is the counter
// (0-2), ARG (the first argument), SRC (the source address looked up) or TAB (the table only).
#pragma once

#define LBC_ABI_STK_FETCH_LIST(X)                     \
  X(sc_bytes_in_rate, Get, BytesInRate, 0, 0, ARG)    \
  X(sc0_bytes_in_rate, Get, BytesInRate, 0, 0, 0)     \
  X(sc1_bytes_in_rate, Get, BytesInRate, 0, 0, 1)     \
  X(sc2_bytes_in_rate, Get, BytesInRate, 0, 0, 2)     \
  X(src_bytes_in_rate, Get, BytesInRate, 0, 0, SRC)   \
  X(sc_bytes_out_rate, Get, BytesOutRate, 0, 0, ARG)  \
  X(sc0_bytes_out_rate, Get, BytesOutRate, 0, 0, 0)   \
  X(sc1_bytes_out_rate, Get, BytesOutRate, 0, 0, 1)   \
  X(sc2_bytes_out_rate, Get, BytesOutRate, 0, 0, 2)   \
  X(src_bytes_out_rate, Get, BytesOutRate, 0, 0, SRC) \
  X(sc_clr_gpc0, Clr, Gpc0, 0, 0, ARG)                \
  X(sc0_clr_gpc0, Clr, Gpc0, 0, 0, 0)                 \
  X(sc1_clr_gpc0, Clr, Gpc0, 0, 0, 1)                 \
  X(sc2_clr_gpc0, Clr, Gpc0, 0, 0, 2)                 \
  X(src_clr_gpc0, Clr, Gpc0, 0, 0, SRC)               \
  X(sc_clr_gpc1, Clr, Gpc1, 0, 0, ARG)                \
  X(sc0_clr_gpc1, Clr, Gpc1, 0, 0, 0)                 \
  X(sc1_clr_gpc1, Clr, Gpc1, 0, 0, 1)                 \
  X(sc2_clr_gpc1, Clr, Gpc1, 0, 0, 2)                 \
  X(src_clr_gpc1, Clr, Gpc1, 0, 0, SRC)               \
  X(sc_conn_cnt, Get, ConnCnt, 0, 0, ARG)             \
  X(sc0_conn_cnt, Get, ConnCnt, 0, 0, 0)              \
  X(sc1_conn_cnt, Get, ConnCnt, 0, 0, 1)              \
  X(sc2_conn_cnt, Get, ConnCnt, 0, 0, 2)              \
  X(src_conn_cnt, Get, ConnCnt, 0, 0, SRC)            \
  X(sc_conn_cur, Get, ConnCur, 0, 0, ARG)             \
  X(sc0_conn_cur, Get, ConnCur, 0, 0, 0)              \
  X(sc1_conn_cur, Get, ConnCur, 0, 0, 1)              \
  X(sc2_conn_cur, Get, ConnCur, 0, 0, 2)              \
  X(src_conn_cur, Get, ConnCur, 0, 0, SRC)            \
  X(sc_conn_rate, Get, ConnRate, 0, 0, ARG)           \
  X(sc0_conn_rate, Get, ConnRate, 0, 0, 0)            \
  X(sc1_conn_rate, Get, ConnRate, 0, 0, 1)            \
  X(sc2_conn_rate, Get, ConnRate, 0, 0, 2)            \
  X(src_conn_rate, Get, ConnRate, 0, 0, SRC)          \
  X(sc_get_gpc0, Get, Gpc0, 0, 0, ARG)                \
  X(sc0_get_gpc0, Get, Gpc0, 0, 0, 0)                 \
  X(sc1_get_gpc0, Get, Gpc0, 0, 0, 1)                 \
  X(sc2_get_gpc0, Get, Gpc0, 0, 0, 2)                 \
  X(src_get_gpc0, Get, Gpc0, 0, 0, SRC)               \
  X(sc_get_gpc1, Get, Gpc1, 0, 0, ARG)                \
  X(sc0_get_gpc1, Get, Gpc1, 0, 0, 0)                 \
  X(sc1_get_gpc1, Get, Gpc1, 0, 0, 1)                 \
  X(sc2_get_gpc1, Get, Gpc1, 0, 0, 2)                 \
  X(src_get_gpc1, Get, Gpc1, 0, 0, SRC)               \
  X(sc_get_gpt0, Get, Gpt0, 0, 0, ARG)                \
  X(sc0_get_gpt0, Get, Gpt0, 0, 0, 0)                 \
  X(sc1_get_gpt0, Get, Gpt0, 0, 0, 1)                 \
  X(sc2_get_gpt0, Get, Gpt0, 0, 0, 2)                 \
  X(src_get_gpt0, Get, Gpt0, 0, 0, SRC)               \
  X(sc_gpc0_rate, Get, Gpc0Rate, 0, 0, ARG)           \
  X(sc0_gpc0_rate, Get, Gpc0Rate, 0, 0, 0)            \
  X(sc1_gpc0_rate, Get, Gpc0Rate, 0, 0, 1)            \
  X(sc2_gpc0_rate, Get, Gpc0Rate, 0, 0, 2)            \
  X(src_gpc0_rate, Get, Gpc0Rate, 0, 0, SRC)          \
  X(sc_gpc1_rate, Get, Gpc1Rate, 0, 0, ARG)           \
  X(sc0_gpc1_rate, Get, Gpc1Rate, 0, 0, 0)            \
  X(sc1_gpc1_rate, Get, Gpc1Rate, 0, 0, 1)            \
  X(sc2_gpc1_rate, Get, Gpc1Rate, 0, 0, 2)            \
  X(src_gpc1_rate, Get, Gpc1Rate, 0, 0, SRC)          \
  X(sc_http_err_cnt, Get, HttpErrCnt, 0, 0, ARG)      \
  X(sc0_http_err_cnt, Get, HttpErrCnt, 0, 0, 0)       \
  X(sc1_http_err_cnt, Get, HttpErrCnt, 0, 0, 1)       \
  X(sc2_http_err_cnt, Get, HttpErrCnt, 0, 0, 2)       \
  X(src_http_err_cnt, Get, HttpErrCnt, 0, 0, SRC)     \
  X(sc_http_err_rate, Get, HttpErrRate, 0, 0, ARG)    \
  X(sc0_http_err_rate, Get, HttpErrRate, 0, 0, 0)     \
  X(sc1_http_err_rate, Get, HttpErrRate, 0, 0, 1)     \
  X(sc2_http_err_rate, Get, HttpErrRate, 0, 0, 2)     \
  X(src_http_err_rate, Get, HttpErrRate, 0, 0, SRC)   \
  X(sc_http_fail_cnt, Get, HttpFailCnt, 0, 0, ARG)    \
  X(sc0_http_fail_cnt, Get, HttpFailCnt, 0, 0, 0)     \
  X(sc1_http_fail_cnt, Get, HttpFailCnt, 0, 0, 1)     \
  X(sc2_http_fail_cnt, Get, HttpFailCnt, 0, 0, 2)     \
  X(src_http_fail_cnt, Get, HttpFailCnt, 0, 0, SRC)   \
  X(sc_http_fail_rate, Get, HttpFailRate, 0, 0, ARG)  \
  X(sc0_http_fail_rate, Get, HttpFailRate, 0, 0, 0)   \
  X(sc1_http_fail_rate, Get, HttpFailRate, 0, 0, 1)   \
  X(sc2_http_fail_rate, Get, HttpFailRate, 0, 0, 2)   \
  X(src_http_fail_rate, Get, HttpFailRate, 0, 0, SRC) \
  X(sc_http_req_cnt, Get, HttpReqCnt, 0, 0, ARG)      \
  X(sc0_http_req_cnt, Get, HttpReqCnt, 0, 0, 0)       \
  X(sc1_http_req_cnt, Get, HttpReqCnt, 0, 0, 1)       \
  X(sc2_http_req_cnt, Get, HttpReqCnt, 0, 0, 2)       \
  X(src_http_req_cnt, Get, HttpReqCnt, 0, 0, SRC)     \
  X(sc_http_req_rate, Get, HttpReqRate, 0, 0, ARG)    \
  X(sc0_http_req_rate, Get, HttpReqRate, 0, 0, 0)     \
  X(sc1_http_req_rate, Get, HttpReqRate, 0, 0, 1)     \
  X(sc2_http_req_rate, Get, HttpReqRate, 0, 0, 2)     \
  X(src_http_req_rate, Get, HttpReqRate, 0, 0, SRC)   \
  X(sc_inc_gpc0, Inc, Gpc0, 0, 0, ARG)                \
  X(sc0_inc_gpc0, Inc, Gpc0, 0, 0, 0)                 \
  X(sc1_inc_gpc0, Inc, Gpc0, 0, 0, 1)                 \
  X(sc2_inc_gpc0, Inc, Gpc0, 0, 0, 2)                 \
  X(src_inc_gpc0, Inc, Gpc0, 0, 0, SRC)               \
  X(sc_inc_gpc1, Inc, Gpc1, 0, 0, ARG)                \
  X(sc0_inc_gpc1, Inc, Gpc1, 0, 0, 0)                 \
  X(sc1_inc_gpc1, Inc, Gpc1, 0, 0, 1)                 \
  X(sc2_inc_gpc1, Inc, Gpc1, 0, 0, 2)                 \
  X(src_inc_gpc1, Inc, Gpc1, 0, 0, SRC)               \
  X(sc_kbytes_in, Get, BytesInCnt, 1, 0, ARG)         \
  X(sc0_kbytes_in, Get, BytesInCnt, 1, 0, 0)          \
  X(sc1_kbytes_in, Get, BytesInCnt, 1, 0, 1)          \
  X(sc2_kbytes_in, Get, BytesInCnt, 1, 0, 2)          \
  X(src_kbytes_in, Get, BytesInCnt, 1, 0, SRC)        \
  X(sc_kbytes_out, Get, BytesOutCnt, 1, 0, ARG)       \
  X(sc0_kbytes_out, Get, BytesOutCnt, 1, 0, 0)        \
  X(sc1_kbytes_out, Get, BytesOutCnt, 1, 0, 1)        \
  X(sc2_kbytes_out, Get, BytesOutCnt, 1, 0, 2)        \
  X(src_kbytes_out, Get, BytesOutCnt, 1, 0, SRC)      \
  X(sc_sess_cnt, Get, SessCnt, 0, 0, ARG)             \
  X(sc0_sess_cnt, Get, SessCnt, 0, 0, 0)              \
  X(sc1_sess_cnt, Get, SessCnt, 0, 0, 1)              \
  X(sc2_sess_cnt, Get, SessCnt, 0, 0, 2)              \
  X(src_sess_cnt, Get, SessCnt, 0, 0, SRC)            \
  X(sc_sess_rate, Get, SessRate, 0, 0, ARG)           \
  X(sc0_sess_rate, Get, SessRate, 0, 0, 0)            \
  X(sc1_sess_rate, Get, SessRate, 0, 0, 1)            \
  X(sc2_sess_rate, Get, SessRate, 0, 0, 2)            \
  X(src_sess_rate, Get, SessRate, 0, 0, SRC)          \
  X(sc_tracked, Tracked, ServerId, 0, 1, ARG)         \
  X(sc0_tracked, Tracked, ServerId, 0, 1, 0)          \
  X(sc1_tracked, Tracked, ServerId, 0, 1, 1)          \
  X(sc2_tracked, Tracked, ServerId, 0, 1, 2)          \
  X(sc_trackers, Trackers, ServerId, 0, 0, ARG)       \
  X(sc0_trackers, Trackers, ServerId, 0, 0, 0)        \
  X(sc1_trackers, Trackers, ServerId, 0, 0, 1)        \
  X(sc2_trackers, Trackers, ServerId, 0, 0, 2)        \
  X(src_updt_conn_cnt, Updt, ConnCnt, 0, 0, SRC)      \
  X(table_cnt, Count, ServerId, 0, 0, TAB)            \
  X(table_avl, Avail, ServerId, 0, 0, TAB)

#define LBC_ABI_STK_CONV_LIST(X)                   \
  X(table_bytes_in_rate, Get, BytesInRate, 0, 0)   \
  X(table_bytes_out_rate, Get, BytesOutRate, 0, 0) \
  X(table_conn_cnt, Get, ConnCnt, 0, 0)            \
  X(table_conn_cur, Get, ConnCur, 0, 0)            \
  X(table_conn_rate, Get, ConnRate, 0, 0)          \
  X(table_gpc0, Get, Gpc0, 0, 0)                   \
  X(table_gpc0_rate, Get, Gpc0Rate, 0, 0)          \
  X(table_gpc1, Get, Gpc1, 0, 0)                   \
  X(table_gpc1_rate, Get, Gpc1Rate, 0, 0)          \
  X(table_gpt0, Get, Gpt0, 0, 0)                   \
  X(table_http_err_cnt, Get, HttpErrCnt, 0, 0)     \
  X(table_http_err_rate, Get, HttpErrRate, 0, 0)   \
  X(table_http_fail_cnt, Get, HttpFailCnt, 0, 0)   \
  X(table_http_fail_rate, Get, HttpFailRate, 0, 0) \
  X(table_http_req_cnt, Get, HttpReqCnt, 0, 0)     \
  X(table_http_req_rate, Get, HttpReqRate, 0, 0)   \
  X(table_kbytes_in, Get, BytesInCnt, 1, 0)        \
  X(table_kbytes_out, Get, BytesOutCnt, 1, 0)      \
  X(table_server_id, Get, ServerId, 0, 0)          \
  X(table_sess_cnt, Get, SessCnt, 0, 0)            \
  X(table_sess_rate, Get, SessRate, 0, 0)          \
  X(table_trackers, Trackers, ServerId, 0, 0)      \
  X(in_table, Has, ServerId, 0, 1)

#define LBC_ABI_STK_FETCHES(X) \
  X(sc_bytes_in_rate)          \
  X(sc0_bytes_in_rate)         \
  X(sc1_bytes_in_rate)         \
  X(sc2_bytes_in_rate)         \
  X(src_bytes_in_rate)         \
  X(sc_bytes_out_rate)         \
  X(sc0_bytes_out_rate)        \
  X(sc1_bytes_out_rate)        \
  X(sc2_bytes_out_rate)        \
  X(src_bytes_out_rate)        \
  X(sc_clr_gpc0)               \
  X(sc0_clr_gpc0)              \
  X(sc1_clr_gpc0)              \
  X(sc2_clr_gpc0)              \
  X(src_clr_gpc0)              \
  X(sc_clr_gpc1)               \
  X(sc0_clr_gpc1)              \
  X(sc1_clr_gpc1)              \
  X(sc2_clr_gpc1)              \
  X(src_clr_gpc1)              \
  X(sc_conn_cnt)               \
  X(sc0_conn_cnt)              \
  X(sc1_conn_cnt)              \
  X(sc2_conn_cnt)              \
  X(src_conn_cnt)              \
  X(sc_conn_cur)               \
  X(sc0_conn_cur)              \
  X(sc1_conn_cur)              \
  X(sc2_conn_cur)              \
  X(src_conn_cur)              \
  X(sc_conn_rate)              \
  X(sc0_conn_rate)             \
  X(sc1_conn_rate)             \
  X(sc2_conn_rate)             \
  X(src_conn_rate)             \
  X(sc_get_gpc0)               \
  X(sc0_get_gpc0)              \
  X(sc1_get_gpc0)              \
  X(sc2_get_gpc0)              \
  X(src_get_gpc0)              \
  X(sc_get_gpc1)               \
  X(sc0_get_gpc1)              \
  X(sc1_get_gpc1)              \
  X(sc2_get_gpc1)              \
  X(src_get_gpc1)              \
  X(sc_get_gpt0)               \
  X(sc0_get_gpt0)              \
  X(sc1_get_gpt0)              \
  X(sc2_get_gpt0)              \
  X(src_get_gpt0)              \
  X(sc_gpc0_rate)              \
  X(sc0_gpc0_rate)             \
  X(sc1_gpc0_rate)             \
  X(sc2_gpc0_rate)             \
  X(src_gpc0_rate)             \
  X(sc_gpc1_rate)              \
  X(sc0_gpc1_rate)             \
  X(sc1_gpc1_rate)             \
  X(sc2_gpc1_rate)             \
  X(src_gpc1_rate)             \
  X(sc_http_err_cnt)           \
  X(sc0_http_err_cnt)          \
  X(sc1_http_err_cnt)          \
  X(sc2_http_err_cnt)          \
  X(src_http_err_cnt)          \
  X(sc_http_err_rate)          \
  X(sc0_http_err_rate)         \
  X(sc1_http_err_rate)         \
  X(sc2_http_err_rate)         \
  X(src_http_err_rate)         \
  X(sc_http_fail_cnt)          \
  X(sc0_http_fail_cnt)         \
  X(sc1_http_fail_cnt)         \
  X(sc2_http_fail_cnt)         \
  X(src_http_fail_cnt)         \
  X(sc_http_fail_rate)         \
  X(sc0_http_fail_rate)        \
  X(sc1_http_fail_rate)        \
  X(sc2_http_fail_rate)        \
  X(src_http_fail_rate)        \
  X(sc_http_req_cnt)           \
  X(sc0_http_req_cnt)          \
  X(sc1_http_req_cnt)          \
  X(sc2_http_req_cnt)          \
  X(src_http_req_cnt)          \
  X(sc_http_req_rate)          \
  X(sc0_http_req_rate)         \
  X(sc1_http_req_rate)         \
  X(sc2_http_req_rate)         \
  X(src_http_req_rate)         \
  X(sc_inc_gpc0)               \
  X(sc0_inc_gpc0)              \
  X(sc1_inc_gpc0)              \
  X(sc2_inc_gpc0)              \
  X(src_inc_gpc0)              \
  X(sc_inc_gpc1)               \
  X(sc0_inc_gpc1)              \
  X(sc1_inc_gpc1)              \
  X(sc2_inc_gpc1)              \
  X(src_inc_gpc1)              \
  X(sc_kbytes_in)              \
  X(sc0_kbytes_in)             \
  X(sc1_kbytes_in)             \
  X(sc2_kbytes_in)             \
  X(src_kbytes_in)             \
  X(sc_kbytes_out)             \
  X(sc0_kbytes_out)            \
  X(sc1_kbytes_out)            \
  X(sc2_kbytes_out)            \
  X(src_kbytes_out)            \
  X(sc_sess_cnt)               \
  X(sc0_sess_cnt)              \
  X(sc1_sess_cnt)              \
  X(sc2_sess_cnt)              \
  X(src_sess_cnt)              \
  X(sc_sess_rate)              \
  X(sc0_sess_rate)             \
  X(sc1_sess_rate)             \
  X(sc2_sess_rate)             \
  X(src_sess_rate)             \
  X(sc_tracked)                \
  X(sc0_tracked)               \
  X(sc1_tracked)               \
  X(sc2_tracked)               \
  X(sc_trackers)               \
  X(sc0_trackers)              \
  X(sc1_trackers)              \
  X(sc2_trackers)              \
  X(src_updt_conn_cnt)         \
  X(table_cnt)                 \
  X(table_avl)

#define LBC_ABI_STK_CONVS(X) \
  X(table_bytes_in_rate)     \
  X(table_bytes_out_rate)    \
  X(table_conn_cnt)          \
  X(table_conn_cur)          \
  X(table_conn_rate)         \
  X(table_gpc0)              \
  X(table_gpc0_rate)         \
  X(table_gpc1)              \
  X(table_gpc1_rate)         \
  X(table_gpt0)              \
  X(table_http_err_cnt)      \
  X(table_http_err_rate)     \
  X(table_http_fail_cnt)     \
  X(table_http_fail_rate)    \
  X(table_http_req_cnt)      \
  X(table_http_req_rate)     \
  X(table_kbytes_in)         \
  X(table_kbytes_out)        \
  X(table_server_id)         \
  X(table_sess_cnt)          \
  X(table_sess_rate)         \
  X(table_trackers)          \
  X(in_table)
