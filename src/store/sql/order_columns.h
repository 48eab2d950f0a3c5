// The columns the store reads per order. The summary is shared with the benchmark's raw
// baseline, which runs the very same query text.
#pragma once

#include <string_view>

namespace coldtrack::store::sql {

// Every column of orders (and of orders_archive but its archived_at), in read_order's order.
inline constexpr std::string_view kOrderCols =
    "o.id, o.order_no, o.status, o.name_sealed, o.phone_sealed, o.phone_index, o.phone_last4, "
    "o.openid, o.province, o.city, o.district, o.detail_sealed, o.items_json, o.amount_fen, "
    "o.shipping_fen, o.discount_fen, o.remark, o.body_hash, o.created_at, o.updated_at, "
    "o.finished_at, o.name_masked, o.phone_masked";

// A masked list's summary (OrderFilter::summary), in the same positions so that one reader
// serves both: what a masked answer shows, with the masked name and phone; the sealed ones only
// for rows written before the masked forms existed. NULL (nothing copied) for the rest: blind
// index, last four digits, district, address detail, body hash, finished_at.
inline constexpr std::string_view kOrderSummaryCols =
    "o.id, o.order_no, o.status, "
    "CASE WHEN o.name_masked = '' OR o.phone_masked = '' THEN o.name_sealed END, "
    "CASE WHEN o.name_masked = '' OR o.phone_masked = '' THEN o.phone_sealed END, NULL, NULL, "
    "o.openid, o.province, o.city, NULL, NULL, o.items_json, o.amount_fen, o.shipping_fen, "
    "o.discount_fen, o.remark, NULL, o.created_at, o.updated_at, NULL, o.name_masked, "
    "o.phone_masked";

}  // namespace coldtrack::store::sql
