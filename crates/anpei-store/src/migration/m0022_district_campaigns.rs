//! A district in a city may set campaigns of its own beside the city's: `campaigns.district_id`
//! names the district whose campaign it is (NULL: the city's, or a one-district installation's).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0022_district_campaigns"
    }
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    DistrictId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Campaigns::Table)
                .add_column(integer_null(Campaigns::DistrictId))
                .to_owned(),
        )
        .await
    }
}
