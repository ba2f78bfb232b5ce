//! 区县实施安排: in a city, each district runs the city's campaign on its own dates inside
//! the city's phases, with its own summary deadline (one row per campaign and district).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0021_campaign_districts"
    }
}

#[derive(DeriveIden)]
enum CampaignDistricts {
    Table,
    Id,
    CampaignId,
    DistrictId,
    Phases,
    SummaryDue,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CampaignDistricts::Table)
                .col(pk_auto(CampaignDistricts::Id))
                .col(integer(CampaignDistricts::CampaignId))
                .col(integer(CampaignDistricts::DistrictId))
                .col(text(CampaignDistricts::Phases))
                .col(date(CampaignDistricts::SummaryDue))
                .col(big_integer(CampaignDistricts::UpdatedAt))
                .col(integer_null(CampaignDistricts::UpdatedBy))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_campaign_districts_campaign_district")
                .table(CampaignDistricts::Table)
                .col(CampaignDistricts::CampaignId)
                .col(CampaignDistricts::DistrictId)
                .unique()
                .to_owned(),
        )
        .await
    }
}
