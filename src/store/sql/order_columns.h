// The columns list pages read per order. Shared with the benchmark's raw baseline, which runs
// the very same query text.
#pragma once

#include <string_view>

namespace coldtrack::store::sql {

// A masked list's summary (OrderFilter::summary): what a masked answer shows, with the masked
// name and phone; the sealed ones only for rows written before the masked forms existed (NULL
// otherwise, so nothing is copied). No address detail, blind index or body hash.
inline constexpr std::string_view kOrderSummaryCols =
    "o.id, o.order_no, o.status, o.openid, o.province, o.city, o.items_json, o.amount_fen, "
    "o.shipping_fen, o.discount_fen, o.remark, o.created_at, o.updated_at, o.name_masked, "
    "o.phone_masked, CASE WHEN o.name_masked = '' OR o.phone_masked = '' THEN o.name_sealed END, "
    "CASE WHEN o.name_masked = '' OR o.phone_masked = '' THEN o.phone_sealed END";

}  // namespace coldtrack::store::sql
