package devorg

import (
	"net/http"
	"net/url"
	"strconv"
)

// listPage is one page of a list answer: the items and the Link header
// values (one per relation, as Okta sends them: a single comma-joined
// header makes the Go SDK loop forever).
type listPage struct {
	items []any
	links []string
}

// paginate cuts one page out of items (in creation order) by the request's
// `limit` and `after` parameters. The `after` cursor is opaque to clients;
// here it is the id of the last item of the previous page. defLimit applies
// without `limit`; maxLimit caps it.
func paginate(r *http.Request, base string, items []any, idOf func(any) string, defLimit, maxLimit int) (*listPage, error) {
	q := r.URL.Query()
	limit := defLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, errValidation("limit", "limit: The limit must be a positive number")
		}
		limit = n
	}
	if maxLimit > 0 && limit > maxLimit {
		limit = maxLimit
	}
	start := 0
	if after := q.Get("after"); after != "" {
		start = len(items)
		for i, it := range items {
			if idOf(it) == after {
				start = i + 1
				break
			}
		}
	}
	end := min(start+limit, len(items))
	page := &listPage{items: append([]any{}, items[start:end]...)}

	self := base + r.URL.Path
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	page.links = append(page.links, "<"+self+`>; rel="self"`)
	if end < len(items) && end > start {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("after", idOf(items[end-1]))
		nq.Set("limit", strconv.Itoa(limit))
		page.links = append(page.links, "<"+base+r.URL.Path+"?"+nq.Encode()+`>; rel="next"`)
	}
	return page, nil
}

// idOfObj returns the "id" of a rendered object.
func idOfObj(v any) string {
	if m, ok := v.(obj); ok {
		s, _ := m["id"].(string)
		return s
	}
	return ""
}
