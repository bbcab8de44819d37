package people

import (
	"context"
	"database/sql"

	"frontdoor/internal/store"
)

// SealClearColumns is the sealed_columns migration's data step for this
// package's tables: it seals how each perpetrator is related to the
// clients they harmed, which earlier versions kept in clear, in the
// migration's transaction, in batches of perpetrators; the clear column
// goes after it, in the same migration.
func SealClearColumns(ctx context.Context, tx *store.Tx, v Sealer) error {
	return store.ConvertRows(ctx, tx, `SELECT DISTINCT perpetrator_id FROM perpetrator_links WHERE perpetrator_id > $1 ORDER BY perpetrator_id LIMIT 500`,
		func(c []sql.NullString) error {
			pid := c[0].String
			rows, err := tx.Query(ctx, `SELECT client_id, relationship FROM perpetrator_links WHERE perpetrator_id = $1`, pid)
			if err != nil {
				return err
			}
			type link struct{ client, rel string }
			var links []link
			for rows.Next() {
				var l link
				if err := rows.Scan(&l.client, &l.rel); err != nil {
					rows.Close()
					return err
				}
				links = append(links, l)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, l := range links {
				if _, err := tx.Exec(ctx, `UPDATE perpetrator_links SET relationship_sealed = $1 WHERE perpetrator_id = $2 AND client_id = $3`,
					SealRelationship(v, pid, l.client, l.rel), pid, l.client); err != nil {
					return err
				}
			}
			return nil
		})
}
